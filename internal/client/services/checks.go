package services

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/wharf-project/wharf/internal/metrics"
	"github.com/wharf-project/wharf/internal/structs"
)

// MaxOutput caps a check's output, as the catalog stores it.
const MaxOutput = 4 << 10

// checkSpec is one check of one registration, ready to run.
type checkSpec struct {
	id, name, typ   string
	interval        time.Duration
	timeout         time.Duration
	initial         string
	successesNeeded int
	failuresNeeded  int
	restart         *structs.CheckRestart
	// probe runs the check once within ctx's deadline.
	probe func(ctx context.Context) result
}

// result is what one run of a check said.
type result struct {
	status, output string
}

// initialStatus is the check's entry in a new registration: its
// initial_status, else critical (Consul's default).
func (c *checkSpec) initialStatus() *structs.CheckStatus {
	return &structs.CheckStatus{ID: c.id, Name: c.name, Type: c.typ, Status: c.initial,
		Interval: c.interval.String(), Timeout: c.timeout.String()}
}

// buildChecks returns the checks of service s, whose own address is
// addr:port; a check's port or address mode overrides the service's.
func buildChecks(ctx context.Context, w *Workload, s *structs.Service, addr string, port int) ([]*checkSpec, error) {
	var out []*checkSpec
	seen := map[string]int{}
	for i, c := range s.Checks {
		if c == nil {
			continue
		}
		spec, err := buildCheck(ctx, w, s, c, addr, port)
		if err != nil {
			return nil, fmt.Errorf("check %d: %w", i, err)
		}
		if n := seen[spec.id]; n > 0 {
			spec.id = fmt.Sprintf("%s (%d)", spec.id, n+1)
		}
		seen[spec.name]++
		out = append(out, spec)
	}
	return out, nil
}

func buildCheck(ctx context.Context, w *Workload, s *structs.Service, c *structs.ServiceCheck, addr string, port int) (*checkSpec, error) {
	name := w.interp(c.Name)
	if name == "" {
		name = fmt.Sprintf("service: %q check", w.interp(s.Name))
	}
	spec := &checkSpec{id: name, name: name, typ: c.Type, interval: c.Interval, timeout: c.Timeout,
		initial: c.InitialStatus, successesNeeded: c.SuccessBeforePassing, failuresNeeded: c.FailuresBeforeCritical,
		restart: c.CheckRestart}
	if spec.initial == "" {
		spec.initial = structs.HealthCritical
	}
	if spec.interval <= 0 {
		spec.interval = 10 * time.Second
	}
	if spec.timeout <= 0 || spec.timeout > spec.interval {
		spec.timeout = min(spec.interval, 10*time.Second)
	}
	if c.Type == structs.CheckTypeTCP || c.Type == structs.CheckTypeHTTP {
		if c.PortLabel != "" || (c.AddressMode != "" && c.AddressMode != s.AddressMode) {
			var err error
			if addr, port, err = checkAddress(ctx, w, s, c); err != nil {
				return nil, err
			}
		}
	}
	switch c.Type {
	case structs.CheckTypeTCP:
		spec.probe = tcpProbe(joinHostPort(addr, port))
	case structs.CheckTypeHTTP:
		spec.probe = httpProbe(httpCheckRequest(w, c, joinHostPort(addr, port)))
	case structs.CheckTypeScript:
		spec.probe = scriptProbe(w, c)
	default:
		return nil, fmt.Errorf("unknown check type %q", c.Type)
	}
	return spec, nil
}

// checkAddress resolves a check's own port label and address mode,
// falling back to the service's.
func checkAddress(ctx context.Context, w *Workload, s *structs.Service, c *structs.ServiceCheck) (string, int, error) {
	label, mode := c.PortLabel, c.AddressMode
	if label == "" {
		label = s.PortLabel
	}
	if mode == "" {
		mode = s.AddressMode
	}
	return resolveAddress(ctx, w, label, mode, s.Address)
}

func joinHostPort(addr string, port int) string {
	return net.JoinHostPort(addr, strconv.Itoa(port))
}

// counter applies success_before_passing and failures_before_critical to
// a check's results.
type counter struct {
	status              string
	successes, failures int
	successesNeeded     int
	failuresNeeded      int
}

func newCounter(spec *checkSpec) *counter {
	return &counter{status: spec.initial, successesNeeded: max(spec.successesNeeded, 1),
		failuresNeeded: max(spec.failuresNeeded, 1)}
}

// observe takes one result and returns the check's status after it: a
// passing result counts towards passing and resets the failures, a
// warning or critical one the reverse; the status changes when the
// count reaches its threshold.
func (c *counter) observe(status string) string {
	if status == structs.HealthPassing {
		c.failures = 0
		c.successes++
		if c.successes >= c.successesNeeded {
			c.status = status
		}
		return c.status
	}
	c.successes = 0
	c.failures++
	if c.failures >= c.failuresNeeded {
		c.status = status
	}
	return c.status
}

// checkRunner runs one check every interval and reports its status.
type checkRunner struct {
	spec    *checkSpec
	regID   string
	counter *counter
	watch   *restartWatch
	report  func(regID, checkID, status, output string)
}

// firstRetry is the first delay between runs of a check that has not
// passed yet; it doubles up to the check's interval.
const firstRetry = 100 * time.Millisecond

// run runs the check at once, then every interval, until ctx ends. Until
// the check first passes it runs sooner (100 ms, doubling up to the
// interval): a new instance starting up becomes passing, and routable,
// within a fraction of a second of answering instead of up to a whole
// interval later.
func (r *checkRunner) run(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	retry, passed := firstRetry, false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		passed = r.once(ctx, !passed && retry < r.spec.interval) == structs.HealthPassing || passed
		next := r.spec.interval
		if !passed && retry < next {
			next, retry = retry, 2*retry
		}
		t.Reset(next)
	}
}

// once runs the check, applies the counters, reports the result and
// returns the check's status. Early runs (before the first pass, faster
// than the interval) do not count towards check_restart.
func (r *checkRunner) once(ctx context.Context, early bool) string {
	pctx, cancel := context.WithTimeout(ctx, r.spec.timeout)
	res := r.spec.probe(pctx)
	cancel()
	if ctx.Err() != nil {
		return "" // stopped while running: the result means nothing
	}
	prev := r.counter.status
	status := r.counter.observe(res.status)
	metrics.CheckResult(status, status != prev)
	r.report(r.regID, r.spec.id, status, truncate(res.output))
	if r.watch != nil && !early {
		r.watch.observe(status)
	}
	return status
}

func truncate(s string) string {
	if len(s) > MaxOutput {
		return s[:MaxOutput]
	}
	return s
}
