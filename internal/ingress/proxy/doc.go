// Package proxy is the ingress's data plane: it compiles a config.Config
// into a route table (routers sorted by priority, middlewares, services
// balanced by smooth weighted round robin with passive health and sticky
// cookies), swaps it atomically on Update, and serves the entry points as
// a reverse proxy with retries, access log, Prometheus metrics and live
// statistics for the dashboard. It also holds the TLS (SNI) and server
// hardening helpers the agent uses to listen, and FastServer, the
// HTTP/1.1 fast path that serves plain entry points without net/http and
// hands everything else to it (fast_*.go): a goroutine per connection, or
// with ServerOptions.EventLoop on Linux, the epoll event loops of package
// eventloop, which run the same code in coroutines, one per busy
// connection: an idle keep-alive connection is parked without coroutine
// or buffers (fast_loops.go is the fast path's side of eventloop's
// Handler and Session). What an engine keeps per server (the fast
// path's idle connections) it registers as a serverKeeper, which Update
// prunes and Close empties: the routing core holds no engine's state.
//
// proxy must never import internal/server, internal/scheduler,
// internal/client, internal/state, internal/ingress/watch or
// internal/ingress/dashboard: it gets its configuration pushed through
// Update.
package proxy
