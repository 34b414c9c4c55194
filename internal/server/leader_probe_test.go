package server

import (
	"errors"
	"testing"
	"time"
)

func TestLeaderProbe(t *testing.T) {
	t0 := time.Unix(1000, 0)
	fail := errors.New("refused")
	type probe struct {
		key string
		err error
		at  time.Duration
	}
	for _, tc := range []struct {
		name     string
		probes   []probe
		at       time.Duration
		failing  time.Duration
		failures int
	}{
		{"answers", []probe{{"a", nil, 0}}, time.Second, 0, 0},
		{"fails since the first failure", []probe{{"a", nil, 0}, {"a", fail, 250 * time.Millisecond}, {"a", fail, 500 * time.Millisecond}},
			2 * time.Second, 1750 * time.Millisecond, 2},
		{"an answer clears", []probe{{"a", fail, 0}, {"a", nil, time.Second}}, 2 * time.Second, 0, 0},
		{"a new leader starts over", []probe{{"a", fail, 0}, {"b", fail, time.Second}}, 2 * time.Second, time.Second, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p leaderProbe
			var last string
			for _, pr := range tc.probes {
				p.note(pr.key, pr.err, t0.Add(pr.at))
				last = pr.key
			}
			if got := p.failingFor(last, t0.Add(tc.at)); got != tc.failing {
				t.Errorf("failingFor = %s, want %s", got, tc.failing)
			}
			if got := p.failed(last); got != tc.failures {
				t.Errorf("failed = %d, want %d", got, tc.failures)
			}
			if got := p.failingFor("other", t0.Add(tc.at)); got != 0 {
				t.Errorf("failingFor(other) = %s, want 0", got)
			}
		})
	}
}
