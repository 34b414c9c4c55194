// Package metrics holds wharf's process-wide Prometheus metrics: the
// scheduler's placements, plan apply latency and conflicts, etcd request
// latency and errors, heartbeats, client task starts and failures and
// health check results, plus the Go runtime and process collectors. Other
// packages record through the small functions here (one call per event,
// counters with fixed label values resolved once), and the agent serves
// Registry on /v1/metrics.
//
// metrics must never import another wharf package: every layer, from the
// etcd store to the client's task runner, may import it.
package metrics
