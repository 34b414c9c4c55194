package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/wharf-project/wharf/bench/internal/benchrun"
	"github.com/wharf-project/wharf/bench/internal/latency"
)

// toggler is a TCP listener the bench opens and closes under a real tcp
// check; it records when each connection (a check's probe) arrives.
type toggler struct {
	addr    string
	mu      sync.Mutex
	ln      net.Listener
	accepts chan time.Time
	all     []time.Time // every accept, for the check's period
}

func newToggler(addr string) *toggler {
	return &toggler{addr: addr, accepts: make(chan time.Time, 1024)}
}

// open listens and accepts (and closes) connections in the background.
func (t *toggler) open() error {
	ln, err := net.Listen("tcp", t.addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", t.addr, err)
	}
	t.mu.Lock()
	t.ln = ln
	t.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			at := time.Now()
			_ = c.Close()
			t.mu.Lock()
			t.all = append(t.all, at)
			t.mu.Unlock()
			select {
			case t.accepts <- at:
			default:
			}
		}
	}()
	return nil
}

func (t *toggler) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ln != nil {
		_ = t.ln.Close()
		t.ln = nil
	}
}

// lastAccept is the latest probe seen, and the check's period fitted over
// every probe seen (the probes of one check are a whole number of periods
// apart, about interval each).
func (t *toggler) lastAccept(interval time.Duration) (time.Time, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.all) < 2 {
		return time.Time{}, interval
	}
	first, last := t.all[0], t.all[len(t.all)-1]
	n := (last.Sub(first) + interval/2) / interval
	if n == 0 {
		return last, interval
	}
	return last, last.Sub(first) / n
}

// nextProbe is the first probe after at, extrapolated from the last one.
func nextProbe(last time.Time, period time.Duration, at time.Time) time.Time {
	if last.IsZero() {
		return time.Time{}
	}
	n := at.Sub(last)/period + 1
	return last.Add(n * period)
}

func checkJob(id, marker, name string, port int) string {
	return fmt.Sprintf(`job %q {
  datacenters = ["minipot"]
  group "g" {
    network {
      port "web" { static = %d }
    }
    task "t" {
      driver = "raw_exec"
      env { MARKER = %q }
      config {
        command = "/bin/sleep"
        args    = ["3600"]
      }
      resources {
        cpu    = 10
        memory = 10
      }
      service {
        name = %q
        port = "web"
        check {
          type     = "tcp"
          interval = "1s"
          timeout  = "500ms"
        }
      }
    }
  }
}
`, id, port, marker, name)
}

// checkSamples are the figures of the real-check flips.
type checkSamples struct {
	probeConsul, probeDNS   []time.Duration // from the probe that saw the change
	toggleConsul, toggleDNS []time.Duration // from the listener's open or close
}

// benchCheckFlips runs a raw_exec task whose service has a 1 s tcp check
// against a listener the bench opens and closes at a random phase, and
// times each change until the Consul health query and DNS show it.
func benchCheckFlips(ctx context.Context, e *benchEnv, o options) error {
	const name, id = "catbench-check", "catbench-check"
	port, err := benchrun.FreePort()
	if err != nil {
		return err
	}
	tg := newToggler(net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	defer tg.close()
	job, err := e.api.Jobs().Parse(checkJob(id, e.nonce, name, port), true)
	if err != nil {
		return fmt.Errorf("parse job: %w", err)
	}
	if _, err := e.api.Jobs().Register(job, nil); err != nil {
		return fmt.Errorf("register job: %w", err)
	}
	e.addJob(id)
	// The client refuses a static port that something else holds: the
	// listener opens once the task runs.
	if _, err := waitRunning(ctx, e.api, id, 1); err != nil {
		return err
	}
	if err := tg.open(); err != nil {
		return err
	}
	w, err := startWatchers(ctx, e, name, "127.0.0.1", true)
	if err != nil {
		regs, _, _ := e.api.Services().Get(name, nil)
		for _, r := range regs {
			fmt.Printf("registration %s %s:%d checks:", r.ID, r.Address, r.Port)
			for _, c := range r.Checks {
				fmt.Printf(" %s=%s (%s)", c.ID, c.Status, c.Output)
			}
			fmt.Println()
		}
		return fmt.Errorf("%w\nagent log:\n%s", err, benchrun.Tail(e.agent.out.String(), 20))
	}
	defer w.stop()
	var s checkSamples
	present := true
	for i := 0; i < o.checkFlips; i++ {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(rand.N(time.Second)):
		}
		present = !present
		if err := flipOnce(ctx, tg, w, present, &s); err != nil {
			return fmt.Errorf("flip %d: %w", i, err)
		}
	}
	if err := e.stopJobs(); err != nil {
		return err
	}
	fmt.Printf("\n== (b) real 1 s tcp check of a raw_exec task's service, listener opened/closed at a random phase, %d flips ==\n", o.checkFlips)
	fmt.Println("| latency | p50 | p99 | max | n |\n|---|---|---|---|---|")
	latency.Row("probe that saw the change -> Consul `?passing` blocking query", s.probeConsul)
	latency.Row("probe that saw the change -> DNS A answer", s.probeDNS)
	latency.Row("listener opened/closed -> Consul (end to end, includes waiting for the next probe)", s.toggleConsul)
	latency.Row("listener opened/closed -> DNS (end to end)", s.toggleDNS)
	return nil
}

// flipOnce opens (present) or closes the listener and records how long
// the change takes to show.
func flipOnce(ctx context.Context, tg *toggler, w *watchers, present bool, s *checkSamples) error {
	var toggled, probe time.Time
	if present {
		for len(tg.accepts) > 0 {
			<-tg.accepts
		}
		if err := tg.open(); err != nil {
			return err
		}
		toggled = time.Now()
	} else {
		last, period := tg.lastAccept(time.Second)
		tg.close()
		toggled = time.Now()
		probe = nextProbe(last, period, toggled)
	}
	cAt, dAt, err := w.wait(ctx, present, 10*time.Second)
	if err != nil {
		return err
	}
	if present {
		select {
		case probe = <-tg.accepts:
		default:
			return fmt.Errorf("passing without a probe seen")
		}
	}
	s.toggleConsul, s.toggleDNS = append(s.toggleConsul, cAt.Sub(toggled)), append(s.toggleDNS, dAt.Sub(toggled))
	if !probe.IsZero() {
		s.probeConsul, s.probeDNS = append(s.probeConsul, cAt.Sub(probe)), append(s.probeDNS, dAt.Sub(probe))
	}
	return nil
}
