//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"

	"github.com/wharf-project/wharf/bench/internal/benchrun"
	"github.com/wharf-project/wharf/bench/internal/latency"
)

// The dev agent's pot driver gets a jail network of its own, so that its
// start-up cleanup never touches another agent's jails.
const (
	potBridge  = "wingb"
	potNetwork = "10.251.0.0/24"
	potTable   = "wharf_ingb"
)

// flipService is the service flipped; its default rule is
// Host(`ingbench.minipot`).
const flipService = "ingbench"

// devAgent is a running `wharf agent -dev`.
type devAgent struct {
	p       *proc
	http    string
	ingress string
	nodeID  string
	api     *api.Client
}

// startAgent runs `wharf agent -dev` on free ports, with the ingress on,
// and waits for its node, a leader and the ingress entry point.
func (e *env) startAgent(ctx context.Context, bin string) (*devAgent, error) {
	ports, err := benchrun.FreePorts(6)
	if err != nil {
		return nil, err
	}
	cfg := e.path("agent.hcl")
	hcl := fmt.Sprintf("client {\n  pot {\n    bridge = %q\n    network = %q\n    nft_table = %q\n  }\n}\n", potBridge, potNetwork, potTable)
	if err := os.WriteFile(cfg, []byte(hcl), 0o600); err != nil {
		return nil, fmt.Errorf("agent config: %w", err)
	}
	tmp := e.path("tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, err
	}
	args := []string{"agent", "-dev", "-config", cfg, "-data-dir", e.path("data"), "-bind", "127.0.0.1",
		"-http-port", strconv.Itoa(ports[0]), "-consul-port", strconv.Itoa(ports[1]),
		"-dns-port", strconv.Itoa(ports[2]), "-registry-port", strconv.Itoa(ports[3]),
		"-ingress-port", strconv.Itoa(ports[4]), "-dashboard-port", strconv.Itoa(ports[5])}
	p, err := e.start("wharf agent", []string{"TMPDIR=" + tmp}, bin, args...)
	if err != nil {
		return nil, err
	}
	a := &devAgent{p: p, http: fmt.Sprintf("http://127.0.0.1:%d", ports[0]), ingress: fmt.Sprintf("http://127.0.0.1:%d/", ports[4])}
	if a.api, err = api.NewClient(&api.Config{Address: a.http}); err != nil {
		return nil, err
	}
	return a, a.waitReady(ctx)
}

var nodeLine = regexp.MustCompile(`Node: (\S+)`)

func (a *devAgent) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		out := a.p.out.String()
		if m := nodeLine.FindStringSubmatch(out); m != nil && strings.Contains(out, "node registered") && a.ready() {
			a.nodeID = m[1]
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-a.p.done:
			return fmt.Errorf("agent exited early:\n%s", benchrun.Tail(a.p.out.String(), 30))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("agent not ready after 60s:\n%s", benchrun.Tail(a.p.out.String(), 30))
		}
	}
}

// ready: the server has a leader and the ingress answers.
func (a *devAgent) ready() bool {
	resp, err := http.Get(a.http + "/v1/status/leader")
	if err != nil {
		return false
	}
	resp.Body.Close()
	code, _, err := get(a.ingress, "nothing.minipot")
	return resp.StatusCode == http.StatusOK && err == nil && code == http.StatusNotFound
}

// stop stops the agent with SIGINT and waits up to 20 s.
func (a *devAgent) stop() error {
	_ = a.p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-a.p.done:
		return nil
	case <-time.After(20 * time.Second):
		return fmt.Errorf("agent still running 20s after SIGINT")
	}
}

// flipReg is one instance of flipService at 127.0.0.1:port whose one
// check has status, as a client writes it after a check result.
func flipReg(a *devAgent, port int, status string) *structs.ServiceRegistration {
	return &structs.ServiceRegistration{ID: "ingbench-flip", ServiceName: flipService, NodeID: a.nodeID, JobID: "ingressbench",
		AllocID: "ingressbench-flip", Task: "bench", Address: "127.0.0.1", Port: port,
		Checks: []*structs.CheckStatus{{ID: "http", Name: "http", Type: structs.CheckTypeTCP, Status: status,
			Interval: "1s", Timeout: "1s", Output: status}}}
}

// benchFlip writes one instance passing, then critical, through PUT
// /v1/services/register, and times each until a request through the
// agent's ingress (Host ingbench.minipot, polled every 1 ms on a
// keep-alive connection) reaches the backend, or gets 503.
func benchFlip(ctx context.Context, e *env, o options) error {
	bin, err := exec.LookPath(o.wharf)
	if err != nil {
		return fmt.Errorf("wharf binary: %w (build it with go build -o bin/wharf ./cmd/wharf)", err)
	}
	a, err := e.startAgent(ctx, bin)
	if err != nil {
		return err
	}
	defer func() { _ = a.stop(); benchrun.RemovePotNetwork("ingressbench", potBridge, potTable) }()
	fmt.Printf("\nagent pid %d: http %s, ingress %s, node %s\n", a.p.pid(), a.http, a.ingress, a.nodeID)
	defer func() { _ = a.api.Services().Deregister([]string{"ingbench-flip"}) }()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	var write, toUp, toDown []time.Duration
	var polls int
	for i := range o.flips {
		up := i%2 == 0
		status, want := structs.HealthCritical, http.StatusServiceUnavailable
		if up {
			status, want = structs.HealthPassing, http.StatusOK
		}
		start := time.Now()
		if err := a.api.Services().Register([]*structs.ServiceRegistration{flipReg(a, e.backends[0], status)}); err != nil {
			return fmt.Errorf("flip %d: %w", i, err)
		}
		write = append(write, time.Since(start))
		n, err := pollUntil(ctx, client, a.ingress, want, 10*time.Second)
		if err != nil {
			return fmt.Errorf("flip %d to %s: %w", i, status, err)
		}
		polls += n
		if up {
			toUp = append(toUp, time.Since(start))
		} else {
			toDown = append(toDown, time.Since(start))
		}
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Printf("\n== flip: instance written through PUT /v1/services/register -> ingress routes it (Host %s.minipot, polled every 1 ms), %d flips ==\n", flipService, o.flips)
	fmt.Println("| from the start of the PUT to | p50 | p99 | max | n |\n|---|---|---|---|---|")
	latency.Row("the PUT's answer (store write committed)", write)
	latency.Row("passing: a request through the ingress reaches the backend (200)", toUp)
	latency.Row("critical: a request through the ingress gets 503", toDown)
	fmt.Printf("(%.1f polls per flip on average)\n", float64(polls)/float64(o.flips))
	return nil
}

// pollUntil GETs url with Host ingbench.minipot every 1 ms until the
// status is want; it returns how many requests it sent.
func pollUntil(ctx context.Context, c *http.Client, url string, want int, d time.Duration) (int, error) {
	deadline := time.Now().Add(d)
	for n := 1; ; n++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return n, err
		}
		req.Host = flipService + ".minipot"
		resp, err := c.Do(req)
		if err != nil {
			return n, err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == want && (want != http.StatusOK || string(body) == "a\n") {
			return n, nil
		}
		if time.Now().After(deadline) {
			return n, fmt.Errorf("still %d %q after %v", resp.StatusCode, body, d)
		}
		time.Sleep(time.Millisecond)
	}
}
