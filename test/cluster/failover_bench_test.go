package cluster

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/test/cluster/harness"
)

// TestFailoverTimes measures, over WHARF_BENCH_FAILOVER_KILLS kills (20 by
// default), the time from kill -9 of the leader to the first placement by
// the new leader of a job submitted right after the kill, and prints the
// distribution. It runs only with WHARF_BENCH_FAILOVER=1 (bench/failover.sh).
func TestFailoverTimes(t *testing.T) {
	if os.Getenv("WHARF_BENCH_FAILOVER") != "1" {
		t.Skip("a benchmark: run bench/failover.sh (WHARF_BENCH_FAILOVER=1)")
	}
	kills := 20
	if n, err := strconv.Atoi(os.Getenv("WHARF_BENCH_FAILOVER_KILLS")); err == nil && n > 0 {
		kills = n
	}
	c := harness.New(t, harness.Options{Servers: 3, Clients: 1})
	var samples []time.Duration
	for i := range kills {
		leader := c.Leader(t)
		via := c.Servers[0]
		if via == leader {
			via = c.Servers[1]
		}
		job := fmt.Sprintf("failover-%02d", i)
		killed := time.Now()
		leader.Kill()
		c.WaitFor(t, 60*time.Second, "the job accepted after the kill", func() bool {
			_, _, err := via.NomadAPI().Jobs().Register(harness.SleepJob(job, 1), nil)
			return err == nil
		})
		accepted := time.Since(killed)
		if os.Getenv("WHARF_BENCH_DEBUG") != "" && accepted > 3*time.Second {
			t.Logf("slow accept through %s:\n%s", via.Name, tailLines(via.Log(), 40))
		}
		c.WaitFor(t, 60*time.Second, "the job placed by the new leader", func() bool { return placed(via, job) })
		took := time.Since(killed)
		samples = append(samples, took)
		t.Logf("kill %2d: leader %s killed, %s accepted after %s, placed after %s", i+1, leader.Name, job,
			accepted.Round(time.Millisecond), took.Round(time.Millisecond))
		leader.Restart()
		if _, _, err := via.NomadAPI().Jobs().Deregister(job, true, nil); err != nil {
			t.Logf("purge %s: %v", job, err)
		}
	}
	slices.Sort(samples)
	var all []string
	for _, s := range samples {
		all = append(all, s.Round(10*time.Millisecond).String())
	}
	t.Logf("failover: %d kills: p50 %s, p99 %s, min %s, max %s; all: %s", len(samples),
		percentile(samples, 50).Round(time.Millisecond), percentile(samples, 99).Round(time.Millisecond),
		samples[0].Round(time.Millisecond), samples[len(samples)-1].Round(time.Millisecond), strings.Join(all, " "))
}

// percentile returns the p-th percentile of sorted samples (nearest
// rank).
func percentile(sorted []time.Duration, p int) time.Duration {
	rank := (p*len(sorted) + 99) / 100
	return sorted[max(rank, 1)-1]
}

func tailLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
