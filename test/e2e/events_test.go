package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"
)

// collectEvents reads events from ch until done reports true for the
// events so far, failing after d.
func collectEvents(t *testing.T, ch <-chan *nomad.Events, d time.Duration, what string, done func([]nomad.Event) bool) []nomad.Event {
	t.Helper()
	var got []nomad.Event
	deadline := time.After(d)
	for !done(got) {
		select {
		case evs, ok := <-ch:
			if !ok {
				t.Fatalf("stream closed waiting for %s", what)
			}
			if evs.Err != nil {
				t.Fatalf("stream error waiting for %s: %v", what, evs.Err)
			}
			got = append(got, evs.Events...)
		case <-deadline:
			t.Fatalf("no %s within %v; got %d events", what, d, len(got))
		}
	}
	return got
}

func seen(evs []nomad.Event, topic nomad.Topic, typ string) bool {
	for _, e := range evs {
		if e.Topic == topic && (typ == "" || e.Type == typ) {
			return true
		}
	}
	return false
}

// TestEventStreamWithNomadClient follows a job through the official
// Nomad client's EventStream: Job, Evaluation and Allocation events with
// payloads it decodes, a topic filter that lets only its job through, and
// a stream that starts at an index.
func TestEventStreamWithNomadClient(t *testing.T) {
	a := startAgent(t, "-dev")
	nc, err := nomad.NewClient(&nomad.Config{Address: a.addr})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	all, err := nc.EventStream().Stream(ctx, map[nomad.Topic][]string{nomad.TopicJob: {"*"}, nomad.TopicEvaluation: {"*"}, nomad.TopicAllocation: {"*"}}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	onlyOther, err := nc.EventStream().Stream(ctx, map[nomad.Topic][]string{nomad.TopicJob: {"other"}}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}

	marker := fmt.Sprintf("events-%d", time.Now().UnixNano())
	t.Cleanup(func() { killMarked(marker) })
	if out, code := run(t, a.addr, "job", "run", "-detach", rawJob(t, "evjob", marker, `while true; do sleep 1; done`, "")); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	got := collectEvents(t, all, 20*time.Second, "job, evaluation and running allocation events", func(evs []nomad.Event) bool {
		for _, e := range evs {
			if e.Topic == nomad.TopicAllocation {
				if al, err := e.Allocation(); err == nil && al.ClientStatus == "running" {
					return seen(evs, nomad.TopicJob, "JobRegistered") && seen(evs, nomad.TopicEvaluation, "EvaluationUpdated")
				}
			}
		}
		return false
	})
	var firstIndex uint64
	for _, e := range got {
		switch e.Topic {
		case nomad.TopicJob:
			j, err := e.Job()
			if err != nil || j == nil || *j.ID != "evjob" || e.Key != "evjob" {
				t.Fatalf("job event %+v: %v", e, err)
			}
			if firstIndex == 0 {
				firstIndex = e.Index
			}
		case nomad.TopicEvaluation:
			ev, err := e.Evaluation()
			if err != nil || ev.JobID != "evjob" {
				t.Fatalf("evaluation event: %v %+v", err, ev)
			}
		case nomad.TopicAllocation:
			al, err := e.Allocation()
			if err != nil || al.JobID != "evjob" || e.Key != al.ID {
				t.Fatalf("allocation event: %v %+v", err, al)
			}
		}
	}
	select {
	case evs := <-onlyOther:
		t.Fatalf("topic Job:other received %+v", evs)
	default:
	}

	// A stream from an index replays what the buffer holds after it.
	replay, err := nc.EventStream().Stream(ctx, map[nomad.Topic][]string{nomad.TopicJob: {"evjob"}}, firstIndex-1, nil)
	if err != nil {
		t.Fatal(err)
	}
	collectEvents(t, replay, 10*time.Second, "the replayed registration", func(evs []nomad.Event) bool {
		return seen(evs, nomad.TopicJob, "JobRegistered")
	})
	if out, code := run(t, a.addr, "job", "stop", "evjob"); code != 0 {
		t.Fatalf("stop: %d\n%s", code, out)
	}
	collectEvents(t, all, 20*time.Second, "the deregistration", func(evs []nomad.Event) bool {
		return seen(evs, nomad.TopicJob, "JobDeregistered")
	})
}

// TestEventStreamNeverReadingConsumer opens a stream and never reads it
// while a thousand large job events are written: the server gives the
// stream up (its queue is bounded and a blocked write times out) instead
// of buffering, and keeps serving other streams.
func TestEventStreamNeverReadingConsumer(t *testing.T) {
	a := startAgent(t, "-config", serverConfig(t, "5s"))
	conn, err := net.Dial("tcp", strings.TrimPrefix(a.addr, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A tiny receive buffer, never drained.
	_ = conn.(*net.TCPConn).SetReadBuffer(4096)
	fmt.Fprintf(conn, "GET /v1/event/stream?topic=Job HTTP/1.1\r\nHost: x\r\n\r\n")
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.Contains(status, "200") {
		t.Fatalf("stream status %q %v", status, err)
	}
	waitFor(t, 10*time.Second, "the stream to open", func() bool {
		return value(scrape(t, a.addr, ""), "wharf_event_streams") == 1
	})
	rssBefore := value(scrape(t, a.addr, ""), "process_resident_memory_bytes")

	nc, err := nomad.NewClient(&nomad.Config{Address: a.addr})
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 32<<10)
	const jobs = 600
	for i := 0; i < jobs; i++ {
		job := nomad.NewServiceJob(fmt.Sprintf("big-%d", i), "big", "global", 50)
		job.Datacenters = []string{"nowhere"}
		job.Meta = map[string]string{"pad": big}
		tg := nomad.NewTaskGroup("g", 1)
		tg.AddTask(nomad.NewTask("t", "raw_exec").SetConfig("command", "/bin/true"))
		job.AddTaskGroup(tg)
		if _, _, err := nc.Jobs().Register(job, nil); err != nil {
			t.Fatalf("register %d: %v", i, err)
		}
	}
	// 600 jobs of 32 KiB make ~20 MiB of job events; the stream holds at
	// most its queue, then it is dropped or its blocked write times out.
	waitFor(t, 40*time.Second, "the stuck stream to be given up", func() bool {
		return value(scrape(t, a.addr, ""), "wharf_event_streams") == 0
	})
	fams := scrape(t, a.addr, "")
	t.Logf("RSS before %.0f MiB, after %.0f MiB; streams dropped for falling behind: %.0f",
		rssBefore/(1<<20), value(fams, "process_resident_memory_bytes")/(1<<20), value(fams, "wharf_event_streams_dropped_total"))

	// Other streams still work.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fresh, err := nc.EventStream().Stream(ctx, map[nomad.Topic][]string{nomad.TopicJob: {"after"}}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	job := nomad.NewServiceJob("after", "after", "global", 50)
	job.Datacenters = []string{"nowhere"}
	tg := nomad.NewTaskGroup("g", 1)
	tg.AddTask(nomad.NewTask("t", "raw_exec").SetConfig("command", "/bin/true"))
	job.AddTaskGroup(tg)
	if _, _, err := nc.Jobs().Register(job, nil); err != nil {
		t.Fatal(err)
	}
	collectEvents(t, fresh, 10*time.Second, "the new job's event", func(evs []nomad.Event) bool { return seen(evs, nomad.TopicJob, "") })
}
