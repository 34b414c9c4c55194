package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/wharf-project/wharf/internal/testkit/testutil"
)

// scrape reads addr's /v1/metrics as a Prometheus scraper does (its
// Accept header, no format parameter) and parses it with Prometheus'
// own text parser.
func scrape(t *testing.T, addr, token string) map[string]*dto.MetricFamily {
	t.Helper()
	req, _ := http.NewRequest("GET", addr+"/v1/metrics", nil)
	req.Header.Set("Accept", "text/plain;version=0.0.4;q=0.9,*/*;q=0.1")
	if token != "" {
		req.Header.Set("X-Nomad-Token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		raw, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s/v1/metrics: %s %s", addr, resp.Status, raw)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse %s/v1/metrics: %v", addr, err)
	}
	return fams
}

// value sums the samples of a family whose labels include want (a
// histogram counts its observations).
func value(fams map[string]*dto.MetricFamily, name string, want ...string) float64 {
	var sum float64
	for _, m := range fams[name].GetMetric() {
		if !hasLabels(m, want) {
			continue
		}
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		case m.Untyped != nil:
			sum += m.Untyped.GetValue()
		}
	}
	return sum
}

func hasLabels(m *dto.Metric, want []string) bool {
	for i := 0; i+1 < len(want); i += 2 {
		found := false
		for _, l := range m.GetLabel() {
			if l.GetName() == want[i] && l.GetValue() == want[i+1] {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// TestMetricsMoveWhenAJobRuns scrapes a dev agent, runs a raw_exec job
// with a health check, and checks that every family the issue names
// exists and that the scheduler, plan, etcd, client, check and heartbeat
// figures moved; Nomad's API client reads the JSON form.
func TestMetricsMoveWhenAJobRuns(t *testing.T) {
	a := startAgent(t, "-dev")
	before := scrape(t, a.addr, "")
	families := []string{
		"wharf_scheduler_placements_total", "wharf_scheduler_failed_placements_total",
		"wharf_broker_evals", "wharf_broker_blocked_evals", "wharf_server_is_leader",
		"wharf_plan_apply_duration_seconds", "wharf_plan_apply_conflicts_total",
		"wharf_etcd_request_duration_seconds", "wharf_etcd_request_errors_total",
		"wharf_heartbeats_received_total", "wharf_heartbeats_missed_total",
		"wharf_client_task_starts_total", "wharf_client_task_failures_total",
		"wharf_catalog_check_results_total", "wharf_catalog_check_transitions_total",
		"wharf_event_streams", "wharf_event_streams_dropped_total",
		"wharf_listener_connections", "wharf_process_open_fds",
		"go_goroutines", "go_memstats_heap_inuse_bytes", "process_resident_memory_bytes", "process_cpu_seconds_total",
	}
	for _, f := range families {
		if _, ok := before[f]; !ok {
			t.Errorf("family %s missing from /v1/metrics", f)
		}
	}
	for _, state := range []string{"ready", "unacked", "waiting"} {
		if len(before["wharf_broker_evals"].GetMetric()) == 0 || !hasFamilyLabel(before["wharf_broker_evals"], "state", state) {
			t.Errorf("wharf_broker_evals has no state=%q", state)
		}
	}
	if value(before, "wharf_server_is_leader") != 1 {
		t.Error("the dev agent does not report itself leader")
	}

	marker := fmt.Sprintf("metrics-%d", time.Now().UnixNano())
	t.Cleanup(func() { killMarked(marker) })
	check := `
    service {
      name = "metrics-web"
      port = "http"
      provider = "nomad"
      check {
        type     = "tcp"
        interval = "1s"
        timeout  = "1s"
      }
    }`
	if out, code := run(t, a.addr, "job", "run", "-detach", rawJob(t, "metrics", marker, `while true; do sleep 1; done`, check)); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	c := a.client(t)
	waitFor(t, 20*time.Second, "the allocation running", func() bool { return len(runningAllocs(t, c, "metrics")) == 1 })
	// Nothing listens on the port: the check runs and reports critical.
	var after map[string]*dto.MetricFamily
	waitFor(t, 20*time.Second, "check results and a heartbeat", func() bool {
		after = scrape(t, a.addr, "")
		return value(after, "wharf_catalog_check_results_total", "status", "critical") > value(before, "wharf_catalog_check_results_total", "status", "critical") &&
			value(after, "wharf_heartbeats_received_total") > 0
	})
	moved := []struct {
		name   string
		labels []string
		by     float64
	}{
		{"wharf_scheduler_placements_total", nil, 1},
		{"wharf_plan_apply_duration_seconds", nil, 1},
		{"wharf_etcd_request_duration_seconds", []string{"op", "txn"}, 2},
		{"wharf_client_task_starts_total", nil, 1},
	}
	for _, m := range moved {
		if got := value(after, m.name, m.labels...) - value(before, m.name, m.labels...); got < m.by {
			t.Errorf("%s%v moved by %v, want at least %v", m.name, m.labels, got, m.by)
		}
	}

	// Nomad's client reads the JSON summary (no format parameter).
	nc, err := nomad.NewClient(&nomad.Config{Address: a.addr})
	if err != nil {
		t.Fatal(err)
	}
	sum, _, err := nc.Operator().MetricsSummary(nil)
	if err != nil {
		t.Fatalf("nomad Operator().MetricsSummary: %v", err)
	}
	found := false
	for _, g := range sum.Gauges {
		found = found || (g.Name == "wharf_server_is_leader" && g.Value == 1)
	}
	if !found || len(sum.Counters) == 0 || len(sum.Samples) == 0 {
		t.Errorf("JSON summary: leader gauge %v, %d counters, %d samples", found, len(sum.Counters), len(sum.Samples))
	}
	if out, code := run(t, a.addr, "job", "stop", "metrics"); code != 0 {
		t.Fatalf("stop: %d\n%s", code, out)
	}
}

func hasFamilyLabel(f *dto.MetricFamily, name, value string) bool {
	for _, m := range f.GetMetric() {
		if hasLabels(m, []string{name, value}) {
			return true
		}
	}
	return false
}

// TestMetricsOnClientAndIngressAgents scrapes a client-only agent and an
// ingress-only agent beside a server: each serves /v1/metrics with its own
// role's families, and the ingress keeps its dashboard names.
func TestMetricsOnClientAndIngressAgents(t *testing.T) {
	srv := startAgent(t, "-config", serverConfig(t, "2s"))
	server := strings.TrimPrefix(srv.addr, "http://")
	cfg := filepath.Join(t.TempDir(), "client.hcl")
	body := `datacenter = "minipot"
data_dir = "` + t.TempDir() + `"
client {
  enabled = true
  servers = ["` + server + `"]
  network_interface = "lo"
  options = { "driver.raw_exec.enable" = "1" }
}
`
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cl := startClientAgent(t, cfg)
	fams := scrape(t, cl.addr, "")
	for _, f := range []string{"wharf_client_task_starts_total", "wharf_catalog_check_results_total", "process_resident_memory_bytes", "wharf_listener_connections"} {
		if _, ok := fams[f]; !ok {
			t.Errorf("client agent: family %s missing", f)
		}
	}
	if _, ok := fams["wharf_broker_evals"]; ok {
		t.Error("client agent reports the server's broker")
	}

	// An ingress-only agent has no API listener: its dashboard serves
	// /v1/metrics beside its own /metrics.
	ingress, dash := startIngressAgent(t, srv.addr)
	if resp, err := http.Get("http://" + ingress + "/"); err == nil {
		resp.Body.Close()
	}
	waitFor(t, 10*time.Second, "the ingress request counted", func() bool {
		return value(scrape(t, "http://"+dash, ""), "wharf_ingress_requests_total") > 0
	})
	resp, err := http.Get("http://" + dash + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(raw), "wharf_ingress_requests_total") {
		t.Errorf("dashboard /metrics lost wharf_ingress_requests_total:\n%.2000s", raw)
	}
}

// startProc runs the wharf binary with args as a process the test stops
// at its end.
func startProc(t *testing.T, args ...string) *agentProc {
	t.Helper()
	cmd := exec.Command(wharfBin, args...)
	p := &agentProc{cmd: cmd, out: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(p.shutdown)
	return p
}

// TestMonitorStreamsTheAgentLog runs `wharf monitor` against a dev agent:
// the task's start, logged by the agent while the monitor runs, reaches
// the monitor's output; Nomad's client reads the same stream.
func TestMonitorStreamsTheAgentLog(t *testing.T) {
	a := startAgent(t, "-dev")
	mon := exec.Command(wharfBin, "monitor", "-log-level", "debug", "-json")
	mon.Env = append(os.Environ(), "WHARF_ADDR="+a.addr)
	out := &syncBuffer{}
	mon.Stdout, mon.Stderr = out, out
	mon.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := mon.Start(); err != nil {
		t.Fatal(err)
	}
	monDone := make(chan struct{})
	go func() { _ = mon.Wait(); close(monDone) }()
	t.Cleanup(func() { testutil.Kill(mon, monDone) })

	nc, err := nomad.NewClient(&nomad.Config{Address: a.addr})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	frames, errs := nc.Agent().Monitor(stop, &nomad.QueryOptions{Params: map[string]string{"log_level": "info"}})
	var nomadGot strings.Builder
	nomadDone := make(chan struct{})
	go func() {
		defer close(nomadDone)
		for f := range frames {
			nomadGot.Write(f.Data)
			if strings.Contains(nomadGot.String(), "task started") {
				return
			}
		}
	}()

	marker := fmt.Sprintf("monitor-%d", time.Now().UnixNano())
	t.Cleanup(func() { killMarked(marker) })
	if out, code := run(t, a.addr, "job", "run", "-detach", rawJob(t, "monjob", marker, `while true; do sleep 1; done`, "")); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	waitFor(t, 20*time.Second, "the task's start in wharf monitor's output", func() bool {
		return strings.Contains(out.String(), `"msg":"task started"`) && strings.Contains(out.String(), "monjob")
	})
	select {
	case <-nomadDone:
	case err := <-errs:
		t.Fatalf("nomad Agent().Monitor: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatalf("nomad Agent().Monitor got no task start:\n%s", nomadGot.String())
	}
	if out, code := run(t, a.addr, "job", "stop", "monjob"); code != 0 {
		t.Fatalf("stop: %d\n%s", code, out)
	}
}

// TestMetricsEventsAndMonitorNeedTokens checks the ACLs of the three
// endpoints on an agent with ACLs on: nothing without a token, metrics and
// the monitor with agent read, the Job topic with read-job.
func TestMetricsEventsAndMonitorNeedTokens(t *testing.T) {
	a := startAgent(t, "-config", aclAgentConfig(t), "-acl-enabled=true")
	out, code := runAs(t, a.addr, "", "acl", "bootstrap")
	if code != 0 {
		t.Fatalf("acl bootstrap: %d\n%s", code, out)
	}
	root := secretOf(t, out)
	rules := filepath.Join(t.TempDir(), "agent.hcl")
	if err := os.WriteFile(rules, []byte(`agent { policy = "read" }`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := runAs(t, a.addr, root, "acl", "policy", "apply", "agentread", rules); code != 0 {
		t.Fatalf("policy apply: %d\n%s", code, out)
	}
	out, code = runAs(t, a.addr, root, "acl", "token", "create", "-name", "ops", "-policy", "agentread")
	if code != 0 {
		t.Fatalf("token create: %d\n%s", code, out)
	}
	ops := secretOf(t, out)
	tests := []struct {
		name, path, token string
		want              int
	}{
		{"metrics without a token", "/v1/metrics", "", 403},
		{"metrics with agent read", "/v1/metrics?format=prometheus", ops, 200},
		{"monitor without a token", "/v1/agent/monitor", "", 403},
		{"job events with agent read only", "/v1/event/stream?topic=Job", ops, 403},
		{"every topic with management", "/v1/event/stream", root, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", a.addr+tt.path, nil)
			if tt.token != "" {
				req.Header.Set("X-Nomad-Token", tt.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("%d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
	if out, code := runAs(t, a.addr, "", "monitor"); code != 1 || !strings.Contains(out, "Permission denied") {
		t.Fatalf("wharf monitor without a token: %d\n%s", code, out)
	}
}
