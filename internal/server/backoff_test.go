package server

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

func TestWriteRetryDelay(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		n        int
		min, max time.Duration
	}{
		{0, 25 * time.Millisecond, 50 * time.Millisecond},
		{1, 25 * time.Millisecond, 50 * time.Millisecond},
		{2, 50 * time.Millisecond, 100 * time.Millisecond},
		{4, 200 * time.Millisecond, 400 * time.Millisecond},
		{8, 2500 * time.Millisecond, 5 * time.Second},
		{63, 2500 * time.Millisecond, 5 * time.Second},
		{1 << 30, 2500 * time.Millisecond, 5 * time.Second},
	} {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := writeRetryDelay(tc.n, r)
			if d < tc.min || d > tc.max {
				t.Fatalf("retry %d: %v, want within [%v, %v]", tc.n, d, tc.min, tc.max)
			}
			seen[d] = true
		}
		if len(seen) < 10 {
			t.Errorf("retry %d: %d distinct delays in 200 draws, want jitter", tc.n, len(seen))
		}
	}
}

// refusingStore refuses the leader's plan and evaluation writes while
// refuse is set, as etcd does under its NOSPACE alarm, and records when.
type refusingStore struct {
	state.Store
	mu      sync.Mutex
	refuse  bool
	refused []time.Time
}

var errNoSpace = errors.New("etcdserver: mvcc: database space exceeded")

func (s *refusingStore) refusing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuse {
		s.refused = append(s.refused, time.Now())
	}
	return s.refuse
}

func (s *refusingStore) set(refuse bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = refuse
}

func (s *refusingStore) times() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.refused...)
}

func (s *refusingStore) ApplyPlan(ctx context.Context, p *structs.Plan, evals []*structs.Evaluation) (uint64, error) {
	if s.refusing() {
		return 0, errNoSpace
	}
	return s.Store.ApplyPlan(ctx, p, evals)
}

func (s *refusingStore) UpsertEvals(ctx context.Context, evals []*structs.Evaluation) (uint64, error) {
	if s.refusing() {
		return 0, errNoSpace
	}
	return s.Store.UpsertEvals(ctx, evals)
}

// While the store refuses writes the leader retries an evaluation with a
// growing delay instead of at once, keeps trying, and places the job once
// the store takes writes again.
func TestEvalWriteRefusedBacksOff(t *testing.T) {
	var rs *refusingStore
	ts := newTestServer(t, func(c *Config) {
		rs = &refusingStore{Store: c.Store}
		c.Store = rs
	})
	ts.registerNode(fakeNode("n1", "dc1", "raw_exec"))
	rs.set(true)
	start := time.Now()
	resp := ts.register(testJob("web", 1, "raw_exec"))
	ts.waitFor("two refused writes", func() bool { return len(rs.times()) >= 2 })
	ts.waitFor("refusals for 1.5 s", func() bool { return time.Since(start) > 1500*time.Millisecond })
	got := rs.times()
	rs.set(false)
	var early int
	for _, at := range got {
		if at.Sub(got[0]) < 200*time.Millisecond {
			early++
		}
	}
	if early > 4 {
		t.Errorf("%d writes in the first 200 ms of refusals, want a backoff (%d in all)", early, len(got))
	}
	if last := got[len(got)-1]; last.Sub(got[0]) < 500*time.Millisecond {
		t.Errorf("the leader stopped retrying after %v of refusals (%d writes)", last.Sub(got[0]), len(got))
	}
	if len(got) > 12 {
		t.Errorf("%d refused writes in 1.5 s, want a backoff", len(got))
	}
	e := ts.waitEval(resp.EvalID)
	if e.Status != structs.EvalStatusComplete {
		t.Fatalf("evaluation %s %q after the store came back, want complete", e.Status, e.StatusDescription)
	}
	if n := len(ts.liveAllocs("web")); n != 1 {
		t.Fatalf("%d allocations placed, want 1", n)
	}
}
