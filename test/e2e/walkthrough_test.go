package e2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	consul "github.com/hashicorp/consul/api"
)

// logFollower runs `wharf alloc logs -f ALLOC` and keeps what it prints.
type logFollower struct {
	cmd *exec.Cmd
	out *syncBuffer
}

func followLogs(t *testing.T, addr, allocID string) *logFollower {
	t.Helper()
	f := &logFollower{cmd: exec.Command(wharfBin, "alloc", "logs", "-f", allocID), out: &syncBuffer{}}
	f.cmd.Env = append(os.Environ(), "WHARF_ADDR="+addr)
	f.cmd.Stdout, f.cmd.Stderr = f.out, f.out
	if err := f.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.cmd.Process.Kill(); _ = f.cmd.Wait() })
	return f
}

// TestSeedWalkthrough replays the seed's walk-through in order, with the
// real binary, real jails and real HTTP: run the seed job; job status shows
// the allocation and its address; nginx answers on the dynamic port and
// through the ingress; the catalog lists hello-web passing (Consul's
// client and dig); count 2; the ingress alternates between the two jails,
// 5 requests each as their followed logs show; exec in a jail; stop: the
// catalog and the ingress drop the service; stop the agent: nothing left.
func TestSeedWalkthrough(t *testing.T) {
	consulPort, dnsPort, ingressPort, dashPort := freePort(t), freePort(t), freePort(t), freePort(t)
	e := startPotAgent(t, "-consul-port", strconv.Itoa(consulPort), "-dns-port", strconv.Itoa(dnsPort),
		"-ingress-port", strconv.Itoa(ingressPort), "-dashboard-port", strconv.Itoa(dashPort))
	ingress, dash := "127.0.0.1:"+strconv.Itoa(ingressPort), "127.0.0.1:"+strconv.Itoa(dashPort)
	c := e.a.client(t)
	job := e.seedJob(t)

	// 1. run; status names the allocation, the node's address and the port.
	if out, code := run(t, e.a.addr, "job", "run", job); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	waitFor(t, 30*time.Second, "the seed job running", func() bool { return len(runningAllocs(t, c, "nginx-minipot")) == 1 })
	status, _ := run(t, e.a.addr, "job", "status", "nginx-minipot")
	m := regexp.MustCompile(`(?m)^([0-9a-f]{8})\s+group1\s+http\s+(127\.0\.0\.1:\d+) -> 80`).FindStringSubmatch(status)
	if m == nil {
		t.Fatalf("job status shows no allocation address:\n%s", status)
	}
	addr := m[2]

	// 2. nginx on the dynamic port, then through the ingress.
	hc := &http.Client{Timeout: 5 * time.Second}
	var page string
	waitFor(t, 10*time.Second, "nginx on "+addr, func() bool {
		code, body, err := httpGet("http://" + addr + "/")
		page = body
		return err == nil && code == 200
	})
	waitFor(t, 15*time.Second, "the page through the ingress", func() bool {
		code, body := ingressGet(t, hc, ingress, "hello-web.minipot")
		return code == 200 && strings.TrimSpace(body) == strings.TrimSpace(page)
	})

	// 3. the catalog: Consul's client and dig.
	cc, err := consul.NewClient(&consul.Config{Address: fmt.Sprintf("127.0.0.1:%d", consulPort)})
	if err != nil {
		t.Fatal(err)
	}
	entries, _, err := cc.Health().Service("hello-web", "", true, nil)
	if err != nil || len(entries) != 1 || entries[0].Checks.AggregatedStatus() != consul.HealthPassing {
		t.Fatalf("hello-web passing in the catalog: %+v %v", entries, err)
	}
	if dig, err := exec.LookPath("dig"); err == nil {
		out, err := exec.Command(dig, "+short", "@127.0.0.1", "-p", strconv.Itoa(dnsPort), "hello-web.service.wharf").Output()
		if err != nil || strings.TrimSpace(string(out)) != "127.0.0.1" {
			t.Errorf("dig hello-web.service.wharf: %q %v", out, err)
		}
	} else if os.Getenv("CI") != "" {
		t.Error("dig is missing (CI installs dnsutils)")
	}

	// 4. count = 2, resubmitted.
	src, _ := os.ReadFile(job)
	two := filepath.Join(t.TempDir(), "nginx2.job")
	if err := os.WriteFile(two, []byte(strings.Replace(string(src), "count = 1", "count = 2", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, e.a.addr, "job", "run", two); code != 0 {
		t.Fatalf("job run count 2: %d\n%s", code, out)
	}
	waitFor(t, 30*time.Second, "two allocations running", func() bool { return len(runningAllocs(t, c, "nginx-minipot")) == 2 })
	waitFor(t, 15*time.Second, "two passing instances", func() bool {
		entries, _, err := cc.Health().Service("hello-web", "", true, nil)
		return err == nil && len(entries) == 2
	})
	allocs := runningAllocs(t, c, "nginx-minipot")
	var followers []*logFollower
	for _, a := range allocs {
		followers = append(followers, followLogs(t, e.a.addr, a.ID))
	}
	waitFor(t, 15*time.Second, "the ingress to route to both jails", func() bool { return upServers(dash, "hello-web") == 2 })
	for i := range 10 {
		req, _ := http.NewRequest("GET", fmt.Sprintf("http://%s/walk-%d", ingress, i), nil)
		req.Host = "hello-web.minipot"
		res, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	counts := make([]int, len(followers))
	waitFor(t, 10*time.Second, "10 requests in the followed logs", func() bool {
		total := 0
		for i, f := range followers {
			counts[i] = len(regexp.MustCompile(`GET /walk-\d+ `).FindAllString(f.out.String(), -1))
			total += counts[i]
		}
		return total == 10
	})
	if counts[0] != 5 || counts[1] != 5 {
		t.Errorf("the ingress sent %v requests to the two jails, want 5 and 5", counts)
	}

	// 5. exec in a jail.
	out, code := run(t, e.a.addr, "alloc", "exec", allocs[0].ID, "/bin/sh", "-c", "echo hello-$((6*7))")
	if code != 0 || !strings.Contains(out, "hello-42") {
		t.Errorf("alloc exec: %d %q", code, out)
	}

	// 6. stop: the catalog and the ingress drop the service.
	if out, code := run(t, e.a.addr, "job", "stop", "nginx-minipot"); code != 0 {
		t.Fatalf("job stop: %d\n%s", code, out)
	}
	waitFor(t, 15*time.Second, "hello-web gone from the catalog", func() bool {
		services, _, err := cc.Catalog().Services(nil)
		_, still := services["hello-web"]
		return err == nil && !still
	})
	waitFor(t, 10*time.Second, "the ingress to drop hello-web", func() bool {
		code, _ := ingressGet(t, hc, ingress, "hello-web.minipot")
		return code == http.StatusNotFound
	})
	ids := []string{allocs[0].ID, allocs[1].ID}
	e.waitClean(t, ids...)

	// 7. stop the agent: nothing left.
	e.a.stop(t)
	if left := e.leftovers(t, ids...); len(left) > 0 {
		t.Errorf("left behind after the agent stopped: %q", left)
	}
	if _, err := os.Stat("/sys/class/net/" + e.bridge); err == nil {
		t.Errorf("the dev agent left its bridge %s", e.bridge)
	}
}
