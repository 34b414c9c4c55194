// Package harness runs a wharf cluster for scenario tests: every agent is
// the real binary in its own network namespace, joined by a veth to a
// bridge the test creates, so agents can be killed, frozen, restarted and
// cut off from each other with nftables while the test watches through
// their HTTP APIs.
//
// A test asks for a cluster with New and gets servers that form one
// embedded etcd cluster and clients that point at every server; New
// removes everything it made (processes and the tasks they started,
// namespaces, veths, the bridge, nftables tables) when the test ends,
// failed or not. Main is the TestMain of a package of such tests.
//
// harness must only be imported by tests; it must never import
// internal/server, internal/client or internal/state: it drives agents from
// the outside, as users do.
package harness
