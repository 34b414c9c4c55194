// Package eventloop serves TCP connections from epoll event loops
// (Linux) instead of a goroutine each: every loop owns an epoll set of
// the sockets it accepted or dialled and runs a Handler's sessions in
// coroutines, one per busy connection, an idle one parked without a
// coroutine. A session sees its connection as an ordinary net.Conn whose
// blocking reads and writes yield to the loop. Elsewhere than Linux a
// Server serves nothing (Available is false) and the caller serves
// connections from goroutines.
//
// eventloop knows sockets, not protocols: it must never import net/http or
// internal/ingress (any package of the ingress, such as proxy, config,
// rule, watch or dashboard) except through internal/netlimit (whose
// long-poll caps know HTTP); the HTTP/1.1 engine in proxy uses it through
// Handler, Session and Parker.
package eventloop
