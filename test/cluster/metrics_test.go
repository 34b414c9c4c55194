package cluster

import (
	"context"
	"net/http"
	"testing"
	"time"

	nomadapi "github.com/hashicorp/nomad/api"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/wharf-project/wharf/test/cluster/harness"
)

// scrapeValue reads one family of an agent's /v1/metrics (Prometheus
// text, parsed with Prometheus' parser) and sums its samples; ok is false
// when the agent does not answer or lacks the family.
func scrapeValue(a *harness.Agent, family string) (float64, bool) {
	req, _ := http.NewRequest("GET", a.HTTPAddr()+"/v1/metrics?format=prometheus", nil)
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, false
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil || fams[family] == nil {
		return 0, false
	}
	var sum float64
	for _, m := range fams[family].GetMetric() {
		sum += sampleValue(m)
	}
	return sum, true
}

func sampleValue(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return m.GetUntyped().GetValue()
}

// TestMetricsAndEventsOnEveryServer runs three servers and two clients:
// every agent serves /v1/metrics and exactly one server reports itself
// leader; a follower's event stream (Nomad's client) sees a job registered
// through the leader, its evaluation and its placements; a client killed
// shows up in the leader's missed heartbeats.
func TestMetricsAndEventsOnEveryServer(t *testing.T) {
	c := harness.New(t, harness.Options{Servers: 3, Clients: 2,
		ServerHCL: `server {
  min_heartbeat_ttl = "2s"
  heartbeat_grace   = "2s"
}`})
	leader := c.Leader(t)
	leaders := 0
	for _, a := range c.All() {
		if _, ok := scrapeValue(a, "process_resident_memory_bytes"); !ok {
			t.Fatalf("%s serves no /v1/metrics", a.Name)
		}
		if v, ok := scrapeValue(a, "wharf_server_is_leader"); ok && v == 1 {
			leaders++
		}
	}
	if leaders != 1 {
		t.Fatalf("%d servers report themselves leader", leaders)
	}
	var follower *harness.Agent
	for _, s := range c.Servers {
		if s != leader {
			follower = s
			break
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, err := follower.NomadAPI().EventStream().Stream(ctx, map[nomadapi.Topic][]string{
		nomadapi.TopicJob: {"watched"}, nomadapi.TopicEvaluation: {"watched"}, nomadapi.TopicAllocation: {"watched"}}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	leader.Register(t, harness.SleepJob("watched", 2))
	seen := map[string]int{}
	deadline := time.After(30 * time.Second)
	for seen["Job"] == 0 || seen["Evaluation"] == 0 || seen["Allocation"] < 2 {
		select {
		case evs := <-events:
			if evs.Err != nil {
				t.Fatalf("follower's stream: %v", evs.Err)
			}
			for _, e := range evs.Events {
				if e.Topic == nomadapi.TopicAllocation && e.Type != "PlanResult" {
					continue
				}
				seen[string(e.Topic)]++
			}
		case <-deadline:
			t.Fatalf("follower %s streamed %v within 30 s", follower.Name, seen)
		}
	}
	allocs := c.WaitRunning(t, leader, "watched", 2, 30*time.Second)
	placed, _ := scrapeValue(leader, "wharf_scheduler_placements_total")
	if placed < 2 {
		t.Fatalf("leader counted %v placements", placed)
	}

	missed, _ := scrapeValue(leader, "wharf_heartbeats_missed_total")
	for _, cl := range c.Clients {
		if nodes, _, err := leader.NomadAPI().Nodes().List(nil); err == nil {
			for _, n := range nodes {
				if n.Name == cl.Name && n.ID == allocs[0].NodeID {
					cl.Kill()
				}
			}
		}
	}
	c.WaitFor(t, 20*time.Second, "the leader to count the killed client's missed heartbeat", func() bool {
		v, _ := scrapeValue(leader, "wharf_heartbeats_missed_total")
		return v > missed
	})
}
