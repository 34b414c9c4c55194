package cluster

import (
	"bufio"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/test/cluster/harness"
)

// fenceServerHCL gives nodes short heartbeat TTLs, so a frozen leader's
// node timers run out while it is frozen.
const fenceServerHCL = `server {
  min_heartbeat_ttl = "1s"
  heartbeat_grace   = "1s"
}`

// term is one leadership term as a server's log tells it.
type term struct {
	server      string
	start, stop time.Time // stop is zero while the term goes on
}

// logEvent is one line of an agent's log: its time and message.
type logEvent struct {
	at  time.Time
	msg string
}

// events parses the slog lines of an agent's log.
func events(log string) []logEvent {
	var out []logEvent
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		ts, ok := field(line, "time=")
		if !ok {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			continue
		}
		msg, _ := field(line, "msg=")
		out = append(out, logEvent{at, strings.Trim(msg, `"`)})
	}
	return out
}

// field returns the value of key in a slog text line (quoted values
// keep their quotes).
func field(line, key string) (string, bool) {
	i := strings.Index(line, key)
	if i < 0 {
		return "", false
	}
	v := line[i+len(key):]
	if strings.HasPrefix(v, `"`) {
		if j := strings.Index(v[1:], `"`); j >= 0 {
			return v[:j+2], true
		}
		return v, true
	}
	if j := strings.IndexByte(v, ' '); j >= 0 {
		v = v[:j]
	}
	return v, true
}

// terms lists the leadership terms in a server's log.
func terms(name, log string) []term {
	var out []term
	for _, e := range events(log) {
		switch e.msg {
		case "leadership acquired":
			out = append(out, term{server: name, start: e.at})
		case "leadership lost":
			if n := len(out); n > 0 && out[n-1].stop.IsZero() {
				out[n-1].stop = e.at
			}
		}
	}
	return out
}

func overlap(a, b term) bool {
	aEnd, bEnd := a.stop, b.stop
	if aEnd.IsZero() {
		aEnd = time.Now()
	}
	if bEnd.IsZero() {
		bEnd = time.Now()
	}
	return a.start.Before(bEnd) && b.start.Before(aEnd)
}

// after returns the messages logged at or after t.
func after(evs []logEvent, t time.Time) []string {
	var out []string
	for _, e := range evs {
		if !e.at.Before(t) {
			out = append(out, e.msg)
		}
	}
	return out
}

// TestFrozenLeaderWritesAreFenced freezes the leader (SIGSTOP) until
// another server leads and has placed a job, with the frozen leader's
// node timers long expired; then lets it run again (SIGCONT). Its pending
// writes (marking the healthy nodes down) are refused for lost
// leadership and logged as such, none is applied, it steps down, and no
// two servers' terms overlap except the frozen one's, which ends as soon
// as it runs.
func TestFrozenLeaderWritesAreFenced(t *testing.T) {
	c := harness.New(t, harness.Options{Servers: 3, Clients: 2, ServerHCL: fenceServerHCL})
	old := c.Leader(t)
	// Both nodes heartbeat to the leader (forwarded by followers): its
	// timers now hold the short TTLs.
	c.WaitFor(t, 10*time.Second, "both nodes ready", func() bool {
		a, okA := old.NodeStatus("c1")
		b, okB := old.NodeStatus("c2")
		return okA && okB && a == "ready" && b == "ready"
	})

	old.Stop()
	frozenAt := time.Now()
	var next *harness.Agent
	c.WaitFor(t, 30*time.Second, "another server to lead", func() bool {
		next = c.CurrentLeader()
		return next != nil && next != old
	})
	// The new leader acts: it places a job's allocation. (Whether the
	// task runs is the clients' business; a client may still wait on the
	// frozen server.)
	next.Register(t, harness.SleepJob("after-freeze", 1))
	c.WaitFor(t, 30*time.Second, "the new leader to place an allocation", func() bool {
		allocs, _, err := next.NomadAPI().Jobs().Allocations("after-freeze", false, nil)
		return err == nil && len(allocs) == 1
	})
	// The followers depose a frozen leader (they revoke its election
	// lease) within seconds; its node timers (at most 1.25 s TTL + 1 s
	// grace) have expired by now all the same.

	// Log times are truncated to milliseconds, and the process may log
	// before Cont returns.
	resumedAt := time.Now().Truncate(time.Millisecond)
	old.Cont()
	c.WaitFor(t, 20*time.Second, "the resumed leader to step down", func() bool {
		ts := terms(old.Name, old.Log())
		return len(ts) > 0 && !ts[0].stop.IsZero()
	})
	msgs := after(events(old.Log()), resumedAt)
	t.Logf("frozen %s, new leader %s; after SIGCONT %s logged: %s", resumedAt.Sub(frozenAt).Round(time.Millisecond),
		next.Name, old.Name, strings.Join(msgs, " | "))
	// On resuming, the deposed leader either tries its expired timers'
	// writes first (the fence refuses them, and it says so), or learns
	// from its election key or session that it lost and ends the term
	// before writing anything; either way nothing it writes is applied.
	if !contains(msgs, "leadership lost, write refused") && (len(msgs) == 0 || msgs[0] != "leadership lost") {
		t.Errorf("the resumed leader neither logged a refused write nor ended its term first; after SIGCONT it logged:\n%s", strings.Join(msgs, "\n"))
	}
	for _, m := range msgs {
		if strings.Contains(m, "marked down") || m == "evaluation failed" {
			t.Errorf("the deposed leader applied a write after SIGCONT: %q", m)
		}
	}
	for _, cl := range c.Clients {
		if st, ok := next.NodeStatus(cl.Name); !ok || st != "ready" {
			t.Errorf("node %s is %q on the new leader, want ready", cl.Name, st)
		}
	}
	for _, cl := range c.Clients {
		failed := 0
		for _, e := range events(cl.Log()) {
			if strings.HasPrefix(e.msg, "heartbeat failed") && !e.at.Before(frozenAt) {
				failed++
			}
		}
		t.Logf("%s: %d heartbeat rounds no server answered since the freeze", cl.Name, failed)
	}
	checkTerms(t, c, old, frozenAt, resumedAt)
}

// handover bounds how long two terms may overlap in the logs when a key
// deletion ends one and starts the next: the deposed server (watching its
// own key) and the next one (waiting for that deletion) react to the same
// etcd event, so their log lines come in either order, milliseconds
// apart. Their writes cannot overlap: the fence refuses the deposed one's.
const handover = 250 * time.Millisecond

// checkTerms fails when two servers' leadership terms overlap beyond a
// handover, except the frozen server's first term, which may run on
// (unseen by it) until it resumes, and only over terms that began while
// it was frozen.
func checkTerms(t *testing.T, c *harness.Cluster, frozen *harness.Agent, frozenAt, resumedAt time.Time) {
	t.Helper()
	var all []term
	for _, s := range c.Servers {
		all = append(all, terms(s.Name, s.Log())...)
	}
	for i := range all {
		for j := i + 1; j < len(all); j++ {
			a, b := all[i], all[j]
			if !overlap(a, b) {
				continue
			}
			if b.start.Before(a.start) {
				a, b = b, a
			}
			if !a.stop.IsZero() && a.stop.Sub(b.start) < handover {
				continue
			}
			if b.server == frozen.Name {
				a, b = b, a
			}
			if a.server == frozen.Name && a.start.Before(frozenAt) && b.start.After(frozenAt) &&
				!a.stop.IsZero() && a.stop.After(resumedAt) && a.stop.Sub(resumedAt) < 5*time.Second {
				continue
			}
			t.Errorf("leadership terms overlap: %s %s..%s and %s %s..%s", a.server, a.start.Format(time.StampMilli),
				a.stop.Format(time.StampMilli), b.server, b.start.Format(time.StampMilli), b.stop.Format(time.StampMilli))
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
