package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wharf-project/wharf/internal/metrics"
	"github.com/wharf-project/wharf/internal/scheduler"
	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// observability is the server's metrics and event stream state.
type observability struct {
	// gatherer is what /v1/metrics serves: the process-wide metrics, this
	// server's collector and what the agent adds (AddMetrics).
	gatherer prometheus.Gatherers
	// events is the event stream's broker (events.go).
	events *eventBroker
	// monitor serves /v1/agent/monitor (the agent's log); nil until the
	// agent sets it.
	monitor http.Handler
}

// metricsRoutes registers /v1/metrics, the event stream and the agent's
// log monitor.
func (s *Server) metricsRoutes() {
	reg := prometheus.NewRegistry()
	reg.MustRegister(&serverCollector{s: s})
	s.obs.gatherer = prometheus.Gatherers{metrics.Registry, reg}
	s.obs.events = newEventBroker(s.cfg.Logger, s.cfg.Events)
	if feed, ok := s.store.(state.ChangeFeed); ok {
		feed.SetChangeListener(s.obs.events.publish)
	}
	s.handle("GET /v1/metrics", agentRead, metrics.Handler(&s.obs.gatherer))
	s.handle("GET /v1/agent/monitor", agentRead, http.HandlerFunc(s.agentMonitor))
	s.eventRoutes()
}

// SetMonitor makes /v1/agent/monitor serve h (the agent's log stream). It
// must be called before the API serves.
func (s *Server) SetMonitor(h http.Handler) { s.obs.monitor = h }

func (s *Server) agentMonitor(w http.ResponseWriter, r *http.Request) {
	if s.obs.monitor == nil {
		s.writeError(w, r, errorf(http.StatusNotImplemented, "this agent offers no log monitor"))
		return
	}
	s.obs.monitor.ServeHTTP(w, r)
}

// AddMetrics makes /v1/metrics serve g's metrics too (the ingress's, the
// agent's listeners'). It must be called before the API serves.
func (s *Server) AddMetrics(g prometheus.Gatherer) { s.obs.gatherer = append(s.obs.gatherer, g) }

// applyPlan applies the plan of res, computed on snap, through the store
// and records its latency, whether it conflicted and what it placed.
func (s *Server) applyPlan(ctx context.Context, snap state.Snapshot, res *scheduler.Result, evals []*structs.Evaluation) (uint64, error) {
	start := time.Now()
	index, err := s.store.ApplyPlan(ctx, res.Plan, evals)
	metrics.PlanApplyDone(time.Since(start), errors.Is(err, state.ErrConflict))
	countPlacements(snap, s.store.Snapshot(), res, err == nil)
	return index, err
}

// countPlacements records the placements of a plan computed on before:
// the allocations new to before that after holds. A store may apply a
// large plan in several transactions and refuse a later one (the state
// moved): the part it applied stays, and the recomputed plan does not
// place it again, so the placements are counted even when the apply
// failed. The allocations that could not be placed count only when the
// plan applied (a recomputed plan reports them again).
func countPlacements(before, after state.Snapshot, res *scheduler.Result, applied bool) {
	placed, failed := 0, 0
	for _, allocs := range res.Plan.NodeAllocation {
		for _, a := range allocs {
			if before.Alloc(a.ID) == nil && after.Alloc(a.ID) != nil {
				placed++
			}
		}
	}
	if applied {
		for _, n := range res.QueuedAllocations {
			failed += n
		}
	}
	metrics.PlanApplied(placed, failed)
}

// serverCollector reports, at scrape time, the leader's eval broker queue
// and the blocked evaluations of the store.
type serverCollector struct{ s *Server }

var (
	brokerDesc = prometheus.NewDesc("wharf_broker_evals",
		"Evaluations in the leader's broker by state: ready (queued), unacked (being scheduled), waiting (behind one of the same job); 0 on other servers.",
		[]string{"state"}, nil)
	blockedDesc = prometheus.NewDesc("wharf_broker_blocked_evals",
		"Blocked evaluations in the store (waiting for capacity or nodes).", nil, nil)
	leaderDesc = prometheus.NewDesc("wharf_server_is_leader",
		"1 while this server leads, else 0.", nil, nil)
	streamsDesc = prometheus.NewDesc("wharf_event_streams",
		"Event streams open on this server.", nil, nil)
	droppedDesc = prometheus.NewDesc("wharf_event_streams_dropped_total",
		"Event streams this server closed because their client fell behind.", nil, nil)
)

func (c *serverCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- brokerDesc
	ch <- blockedDesc
	ch <- leaderDesc
	ch <- streamsDesc
	ch <- droppedDesc
}

func (c *serverCollector) Collect(ch chan<- prometheus.Metric) {
	c.s.mu.Lock()
	b, leading := c.s.broker, c.s.leading
	c.s.mu.Unlock()
	var ready, unacked, waiting int
	if b != nil {
		ready, unacked, waiting = b.stats()
	}
	gauge := func(d *prometheus.Desc, v int, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
	}
	gauge(brokerDesc, ready, "ready")
	gauge(brokerDesc, unacked, "unacked")
	gauge(brokerDesc, waiting, "waiting")
	gauge(blockedDesc, len(c.s.store.Snapshot().EvalsByStatus(structs.EvalStatusBlocked)))
	lead := 0
	if leading {
		lead = 1
	}
	gauge(leaderDesc, lead)
	gauge(streamsDesc, c.s.obs.events.streams())
	ch <- prometheus.MustNewConstMetric(droppedDesc, prometheus.CounterValue, float64(c.s.obs.events.dropped.Load()))
}

// stats counts the broker's ready, in-flight and waiting evaluations.
func (b *broker) stats() (ready, unacked, waiting int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, w := range b.waiting {
		waiting += len(w)
	}
	return b.ready.Len(), len(b.inflight), waiting
}
