package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Registry holds every metric of this package and the Go runtime and
// process collectors.
var Registry = prometheus.NewRegistry()

// latencyBuckets are the buckets of the request and plan latency
// histograms, in seconds (1 ms to 10 s).
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

var (
	placements = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "wharf_scheduler_placements_total",
		Help: "Allocations the scheduler placed in plans that were applied.",
	})
	failedPlacements = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "wharf_scheduler_failed_placements_total",
		Help: "Allocations the scheduler could not place (no node fits), counted per applied plan.",
	})
	planApply = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "wharf_plan_apply_duration_seconds",
		Help:    "Time to apply one plan to the store, conflicts included.",
		Buckets: latencyBuckets,
	})
	planConflicts = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "wharf_plan_apply_conflicts_total",
		Help: "Plans the store refused because the state moved since their snapshot.",
	})
	etcdLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "wharf_etcd_request_duration_seconds",
		Help:    "Time of the store's etcd requests, by operation (txn, get).",
		Buckets: latencyBuckets,
	}, []string{"op"})
	etcdErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wharf_etcd_request_errors_total",
		Help: "The store's etcd requests that failed, by operation (txn, get).",
	}, []string{"op"})
	heartbeats = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "wharf_heartbeats_received_total",
		Help: "Node heartbeats this server accepted as leader.",
	})
	nodesDown = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "wharf_heartbeats_missed_total",
		Help: "Nodes this server marked down because their heartbeat TTL passed.",
	})
	taskStarts = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "wharf_client_task_starts_total",
		Help: "Tasks this client's drivers started.",
	})
	taskFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wharf_client_task_failures_total",
		Help: "Task failures on this client, by stage: start (setup or driver) or exit (non-zero, signal, lost).",
	}, []string{"stage"})
	checkResults = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wharf_catalog_check_results_total",
		Help: "Health check runs on this client, by resulting check status (passing, warning, critical).",
	}, []string{"status"})
	checkTransitions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wharf_catalog_check_transitions_total",
		Help: "Health checks that changed status on this client, by new status.",
	}, []string{"status"})
)

// Children of the vectors, resolved once so recording hashes no labels.
var (
	etcdTxnLatency, etcdGetLatency = etcdLatency.WithLabelValues("txn"), etcdLatency.WithLabelValues("get")
	etcdTxnErrors, etcdGetErrors   = etcdErrors.WithLabelValues("txn"), etcdErrors.WithLabelValues("get")
	taskStartFailures              = taskFailures.WithLabelValues("start")
	taskExitFailures               = taskFailures.WithLabelValues("exit")
	checkStatuses                  = [...]string{"passing", "warning", "critical"}
	checkResultsBy                 = resolve(checkResults, checkStatuses[:])
	checkTransitionsBy             = resolve(checkTransitions, checkStatuses[:])
)

func resolve(v *prometheus.CounterVec, values []string) []prometheus.Counter {
	out := make([]prometheus.Counter, len(values))
	for i, s := range values {
		out[i] = v.WithLabelValues(s)
	}
	return out
}

func init() {
	Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		placements, failedPlacements, planApply, planConflicts, etcdLatency, etcdErrors,
		heartbeats, nodesDown, taskStarts, taskFailures, checkResults, checkTransitions,
	)
}

// PlanApplied counts the placements of one applied plan and those that
// failed.
func PlanApplied(placed, failed int) {
	placements.Add(float64(placed))
	failedPlacements.Add(float64(failed))
}

// PlanApplyDone records one plan apply that took d; conflict is true when
// the store refused it because the state moved.
func PlanApplyDone(d time.Duration, conflict bool) {
	planApply.Observe(d.Seconds())
	if conflict {
		planConflicts.Inc()
	}
}

// EtcdTxn records one etcd transaction that took d and failed when err is
// not nil.
func EtcdTxn(d time.Duration, err error) { etcdObserve(etcdTxnLatency, etcdTxnErrors, d, err) }

// EtcdGet records one etcd range read.
func EtcdGet(d time.Duration, err error) { etcdObserve(etcdGetLatency, etcdGetErrors, d, err) }

func etcdObserve(h prometheus.Observer, errs prometheus.Counter, d time.Duration, err error) {
	h.Observe(d.Seconds())
	if err != nil {
		errs.Inc()
	}
}

// HeartbeatReceived counts one accepted node heartbeat.
func HeartbeatReceived() { heartbeats.Inc() }

// NodeMissedHeartbeat counts one node marked down for a missed heartbeat.
func NodeMissedHeartbeat() { nodesDown.Inc() }

// TaskStarted counts one task a driver started.
func TaskStarted() { taskStarts.Inc() }

// TaskStartFailed counts one task whose setup or driver start failed.
func TaskStartFailed() { taskStartFailures.Inc() }

// TaskExitFailed counts one task that exited unsuccessfully.
func TaskExitFailed() { taskExitFailures.Inc() }

// CheckResult counts one health check run whose resulting status is
// status; changed is true when the status differs from the last one.
// Statuses other than passing, warning and critical are not counted.
func CheckResult(status string, changed bool) {
	for i, s := range checkStatuses {
		if s == status {
			checkResultsBy[i].Inc()
			if changed {
				checkTransitionsBy[i].Inc()
			}
			return
		}
	}
}
