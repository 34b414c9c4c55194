package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ingressJob writes a job of count busybox httpd instances, each serving
// "hello from <alloc ID>", registered as service name with a tcp check and
// tags.
func ingressJob(t *testing.T, id, service string, count int, tags string) string {
	t.Helper()
	src := fmt.Sprintf(`job %q {
  datacenters = ["minipot"]
  group "web" {
    count = %d
    network {
      port "http" {}
    }
    service {
      name = %q
      port = "http"
      tags = [%s]
      check {
        type     = "tcp"
        interval = "1s"
        timeout  = "1s"
      }
    }
    task "httpd" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo \"hello from $NOMAD_ALLOC_ID\" > local/index.html && exec busybox httpd -f -p 127.0.0.1:$NOMAD_PORT_http -h local"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`, id, count, service, tags)
	path := filepath.Join(t.TempDir(), id+".job")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// ingressGet sends GET / with host through the ingress and returns the
// status and body.
func ingressGet(t *testing.T, c *http.Client, ingress, host string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+ingress+"/", nil)
	req.Host = host
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET via the ingress (Host %s): %v", host, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, strings.TrimSpace(string(body))
}

// dashRouter is what the test reads of a dashboard router.
type dashRouter struct {
	Name, Rule, Service, Status string
	Error                       []string
}

// dashService is what the test reads of a dashboard service.
type dashService struct {
	Name         string
	ServerStatus map[string]string
}

func dashGet(dash, path string, out any) error {
	res, err := http.Get("http://" + dash + path)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		return fmt.Errorf("%s: %s", path, res.Status)
	}
	return json.NewDecoder(res.Body).Decode(out)
}

// upServers counts a dashboard service's servers that are UP.
func upServers(dash, service string) int {
	var s dashService
	if dashGet(dash, "/api/http/services/"+service+"@catalog", &s) != nil {
		return -1
	}
	n := 0
	for _, st := range s.ServerStatus {
		if st == "UP" {
			n++
		}
	}
	return n
}

// TestIngressRoutesJobInstances runs two busybox httpd instances of a
// service "hello" on the dev agent and drives the ingress: exact round
// robin, 404 for an unknown host, an alloc stop taken out at once, the
// dashboard API and `wharf ingress routes`, and a malformed rule tag that
// disables only its router.
func TestIngressRoutesJobInstances(t *testing.T) {
	ingressPort, dashPort := freePort(t), freePort(t)
	a := startAgent(t, "-dev", "-ingress-port", strconv.Itoa(ingressPort), "-dashboard-port", strconv.Itoa(dashPort))
	ingress, dash := "127.0.0.1:"+strconv.Itoa(ingressPort), "127.0.0.1:"+strconv.Itoa(dashPort)
	if out, code := run(t, a.addr, "job", "run", "-detach", ingressJob(t, "hello", "hello", 2, "")); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	waitFor(t, 60*time.Second, "two passing hello servers in the dashboard", func() bool { return upServers(dash, "hello") == 2 })

	c := &http.Client{Timeout: 10 * time.Second}
	first := assertRoundRobin(t, c, ingress)
	if code, body := ingressGet(t, c, ingress, "nope.minipot"); code != http.StatusNotFound || body == "" || len(body) > 200 {
		t.Errorf("unknown host: %d %q, want 404 with a short body", code, body)
	}
	assertDashboardAndCLI(t, a, dash)
	assertStoppedAllocLeaves(t, a, c, ingress, first)
	assertMalformedRuleIsIsolated(t, a, c, ingress, dash)
}

// assertRoundRobin sends 10 requests and wants them to alternate between
// the two instances, 5 each; it returns the first instance's alloc ID.
func assertRoundRobin(t *testing.T, c *http.Client, ingress string) string {
	t.Helper()
	var bodies []string
	count := map[string]int{}
	for range 10 {
		code, body := ingressGet(t, c, ingress, "hello.minipot")
		if code != 200 || !strings.HasPrefix(body, "hello from ") {
			t.Fatalf("hello.minipot: %d %q", code, body)
		}
		bodies = append(bodies, body)
		count[body]++
	}
	for i := 2; i < len(bodies); i++ {
		if bodies[i] != bodies[i-2] || bodies[i] == bodies[i-1] {
			t.Fatalf("requests do not alternate A B A B: %q", bodies)
		}
	}
	if len(count) != 2 || count[bodies[0]] != 5 {
		t.Fatalf("want 5 requests on each of 2 instances: %v", count)
	}
	return strings.TrimPrefix(bodies[0], "hello from ")
}

func assertDashboardAndCLI(t *testing.T, a *agentProc, dash string) {
	t.Helper()
	var routers []dashRouter
	if err := dashGet(dash, "/api/http/routers", &routers); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range routers {
		if r.Name == "hello@catalog" && r.Rule == "Host(`hello.minipot`)" && r.Status == "enabled" && r.Service == "hello" {
			found = true
		}
	}
	if !found {
		t.Errorf("dashboard routers lack hello@catalog: %+v", routers)
	}
	res, err := http.Get("http://" + dash + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(metrics), "wharf_ingress_requests_total") {
		t.Errorf("/metrics: %d\n%.500s", res.StatusCode, metrics)
	}
	out, code := run(t, a.addr, "ingress", "routes", "-dashboard", "http://"+dash)
	if code != 0 || !matches(out, "hello@catalog\\s+Host\\(`hello.minipot`\\)\\s+hello\\s+2/2\\s+enabled") {
		t.Errorf("wharf ingress routes: %d\n%s", code, out)
	}
}

// assertStoppedAllocLeaves stops one instance: soon every request goes
// elsewhere, and none fails meanwhile (a refused connection is retried).
func assertStoppedAllocLeaves(t *testing.T, a *agentProc, c *http.Client, ingress, alloc string) {
	t.Helper()
	if out, code := run(t, a.addr, "alloc", "stop", "-detach", alloc[:8]); code != 0 {
		t.Fatalf("alloc stop: %d\n%s", code, out)
	}
	start, clean := time.Now(), 0
	for clean < 10 {
		if time.Since(start) > 15*time.Second {
			t.Fatalf("requests still reach the stopped allocation %s after 15s", alloc)
		}
		code, body := ingressGet(t, c, ingress, "hello.minipot")
		if code != 200 {
			t.Errorf("during the stop: %d %q", code, body)
		}
		clean++
		if strings.Contains(body, alloc) {
			clean = 0
		}
	}
	t.Logf("the stopped allocation left the route table within %v", time.Since(start).Round(time.Millisecond))
}

// assertMalformedRuleIsIsolated runs a service whose router rule tag does
// not parse: that router is reported disabled with the reason, in the
// dashboard and the CLI, and hello keeps routing.
func assertMalformedRuleIsIsolated(t *testing.T, a *agentProc, c *http.Client, ingress, dash string) {
	t.Helper()
	job := ingressJob(t, "broken", "broken", 1, `"traefik.http.routers.x.rule=Host("`)
	if out, code := run(t, a.addr, "job", "run", "-detach", job); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	var bad dashRouter
	waitFor(t, 60*time.Second, "the malformed router in the dashboard", func() bool {
		var routers []dashRouter
		if dashGet(dash, "/api/http/routers?status=disabled", &routers) != nil {
			return false
		}
		for _, r := range routers {
			if strings.HasPrefix(r.Name, "x@") && len(r.Error) > 0 {
				bad = r
				return true
			}
		}
		return false
	})
	t.Logf("malformed router: %+v", bad)
	if code, body := ingressGet(t, c, ingress, "hello.minipot"); code != 200 || !strings.HasPrefix(body, "hello from ") {
		t.Errorf("hello.minipot beside a malformed router: %d %q", code, body)
	}
	out, code := run(t, a.addr, "ingress", "routes", "-dashboard", dash)
	if code != 0 || !matches(out, `x@catalog\s.*disabled: `) || !matches(out, `hello@catalog\s.*enabled`) {
		t.Errorf("wharf ingress routes: %d\n%s", code, out)
	}
}
