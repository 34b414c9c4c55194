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
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-project/wharf/bench/internal/benchrun"
	"github.com/wharf-project/wharf/bench/internal/procfs"
)

// wrkResult is what one wrk run reports.
type wrkResult struct {
	rps      float64
	p50, p99 time.Duration
	errors   string // socket errors and non-2xx responses, "" if none
	// cpu is the proxy's CPU over the run, in cores; wrkCPU wrk's,
	// backCPU the backends', idle the machine's idle time (all filled by
	// the caller).
	cpu, wrkCPU, backCPU, idle float64
}

var (
	reRPS     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	reLatency = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\s*$`)
	reSocket  = regexp.MustCompile(`Socket errors: .*`)
	reNon2xx  = regexp.MustCompile(`Non-2xx or 3xx responses: \d+`)
)

// runWrk runs wrk with host against url and parses its summary.
func runWrk(ctx context.Context, o options, conns int, url string) (wrkResult, error) {
	args := []string{"-t", strconv.Itoa(o.threads), "-c", strconv.Itoa(conns), "-d", o.duration.String(),
		"--latency", "-H", "Host: " + benchHost}
	if o.close {
		args = append(args, "-H", "Connection: close")
	}
	args = append(args, url)
	cmd := exec.CommandContext(ctx, "wrk", args...)
	t0 := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	wrkCPU := (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds() / time.Since(t0).Seconds()
	s := string(out)
	m := reRPS.FindStringSubmatch(s)
	if m == nil {
		return wrkResult{}, fmt.Errorf("wrk output without Requests/sec:\n%s", s)
	}
	var r wrkResult
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	r.wrkCPU = wrkCPU
	for _, l := range reLatency.FindAllStringSubmatch(s, -1) {
		v, _ := strconv.ParseFloat(l[2], 64)
		d := time.Duration(v * float64(map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[l[3]]))
		if l[1] == "50" {
			r.p50 = d
		} else {
			r.p99 = d
		}
	}
	r.errors = strings.Join(append(reSocket.FindAllString(s, -1), reNon2xx.FindAllString(s, -1)...), "; ")
	return r, nil
}

func us(d time.Duration) string {
	if d >= 10*time.Millisecond {
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.2f ms", float64(d)/1e6)
}

// peer is one proxy under test.
type peer struct {
	name string
	port int
	p    *proc
}

// benchLoad starts wharf's proxy, haproxy and nginx, checks each routes
// Host bench.minipot to both backends, then runs wrk against each in
// turn at every connection count, -rounds times.
func benchLoad(ctx context.Context, e *env, o options) error {
	ports, err := benchrun.FreePorts(14)
	if err != nil {
		return err
	}
	if o.wharfEnv != "" {
		e.wharfEnv = strings.Split(o.wharfEnv, ",")
	}
	if o.tls {
		if err := e.makeCert(); err != nil {
			return err
		}
	}
	peers := []peer{{name: "wharf", port: ports[0]}, {name: "haproxy", port: ports[1]}, {name: "nginx", port: ports[2]}}
	if peers[0].p, err = e.startWharfProxy(ctx, e.self, ports[0], ports[3], o.workers, false, 0); err != nil {
		return err
	}
	if peers[1].p, err = e.startHAProxy(ctx, ports[1], o.workers); err != nil {
		return err
	}
	if peers[2].p, err = e.startNginxProxy(ctx, ports[2], o.workers); err != nil {
		return err
	}
	if o.fast {
		fast := peer{name: "wharf fast", port: ports[6]}
		if fast.p, err = e.startWharfProxy(ctx, e.self, ports[6], ports[7], o.workers, true, 0); err != nil {
			return err
		}
		// The agent's default is one loop per two GOMAXPROCS; both 1 and
		// workers loops are measured.
		one := peer{name: "wharf 1 loop", port: ports[8]}
		if one.p, err = e.startWharfProxy(ctx, e.self, ports[8], ports[9], o.workers, true, 1); err != nil {
			return err
		}
		peers = slices.Insert(peers, 1, one)
		if o.workers > 1 {
			many := peer{name: fmt.Sprintf("wharf %d loops", o.workers), port: ports[10]}
			if many.p, err = e.startWharfProxy(ctx, e.self, ports[10], ports[11], o.workers, true, o.workers); err != nil {
				return err
			}
			peers = slices.Insert(peers, 2, many)
		}
		peers = slices.Insert(peers, len(peers)-2, fast)
	}
	if o.tls {
		// TLS entry points are served from goroutines: the loop peers
		// would measure the fast path again.
		peers = slices.DeleteFunc(peers, func(p peer) bool { return strings.Contains(p.name, "loop") })
	}
	if o.baseline != "" {
		// Another build of this program: the same single-loop proxy from
		// other code, measured in the same rounds (A/B of a change).
		base := peer{name: "baseline 1 loop", port: ports[12]}
		if o.baseLoops != 1 {
			base.name = fmt.Sprintf("baseline %d loops", o.baseLoops)
		}
		if o.baseLoops == 0 {
			base.name = "baseline fast"
		}
		if base.p, err = e.startWharfProxy(ctx, o.baseline, ports[12], ports[13], o.workers, true, o.baseLoops); err != nil {
			return err
		}
		peers = slices.Insert(peers, 1, base)
	}
	if o.peers != "" {
		keep := strings.Split(o.peers, ",")
		peers = slices.DeleteFunc(peers, func(p peer) bool {
			return p.name != "haproxy" && !slices.Contains(keep, p.name)
		})
	}
	if o.bare && !o.tls {
		bare := peer{name: "bare httputil", port: ports[4]}
		if bare.p, err = e.startBare(ctx, ports[4], o.workers, false); err != nil {
			return err
		}
		direct := peer{name: "bare httputil, 1-goroutine transport", port: ports[5]}
		if direct.p, err = e.startBare(ctx, ports[5], o.workers, true); err != nil {
			return err
		}
		peers = append(peers, bare, direct)
	}
	for _, p := range peers {
		if err := checkRouting(e, p); err != nil {
			return err
		}
	}
	var conns []int
	for _, c := range strings.Split(o.conns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil {
			return fmt.Errorf("-conns: %w", err)
		}
		conns = append(conns, n)
	}
	backend := fmt.Sprintf("http://127.0.0.1:%d/", e.backends[0])
	conn := "keep-alive"
	if o.close {
		conn = "Connection: close"
	}
	if o.tls {
		conn += ", https"
	}
	fmt.Printf("\n== load: wrk -t %d -d %v --latency -H 'Host: %s', %s; backends: %s; %d threads/workers/GOMAXPROCS per proxy ==\n",
		o.threads, o.duration, benchHost, conn, backendName(o), o.workers)
	fmt.Println("| round | conns | proxy | req/s | p50 | p99 | vs haproxy req/s | vs haproxy p99 | proxy CPU | CPU µs/req | wrk µs/req | backend µs/req | idle | errors |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	// ratios[conns][proxy] holds each round's req/s and p99 against
	// haproxy's of the same round, for the medians printed at the end.
	ratios := map[int]map[string][][2]float64{}
	for round := 1; round <= o.rounds; round++ {
		for _, c := range conns {
			var hap wrkResult
			results := map[string]wrkResult{}
			if ratios[c] == nil {
				ratios[c] = map[string][][2]float64{}
			}
			for _, p := range peers {
				cpu0, back0, idle0, t0 := procfs.GroupCPU(p.p.pid()), procfs.GroupCPU(e.backend.pid()), procfs.IdleTicks(), time.Now()
				r, err := runWrk(ctx, o, c, e.url(p.port))
				if err != nil {
					return err
				}
				secs := time.Since(t0).Seconds()
				r.cpu = float64(procfs.GroupCPU(p.p.pid())-cpu0) / procfs.ClockTicks / secs
				r.backCPU = float64(procfs.GroupCPU(e.backend.pid())-back0) / procfs.ClockTicks / secs
				r.idle = float64(procfs.IdleTicks()-idle0) / procfs.ClockTicks / secs
				results[p.name] = r
				if p.name == "haproxy" {
					hap = r
				}
			}
			for _, p := range peers {
				r := results[p.name]
				ratios[c][p.name] = append(ratios[c][p.name], [2]float64{r.rps / hap.rps, float64(r.p99) / float64(hap.p99)})
				fmt.Printf("| %d | %d | %s | %.0f | %s | %s | %.0f%% | %.2fx | %.0f%% | %.0f | %.0f | %.0f | %.0f%% | %s |\n", round, c, p.name, r.rps, us(r.p50), us(r.p99),
					100*r.rps/hap.rps, float64(r.p99)/float64(hap.p99), 100*r.cpu, 1e6*r.cpu/r.rps,
					1e6*r.wrkCPU/r.rps, 1e6*r.backCPU/r.rps, 100*r.idle, r.errors)
			}
		}
	}
	fmt.Printf("\nMedian over the %d rounds of each round's ratio to haproxy:\n\n| conns | proxy | req/s vs haproxy | p99 vs haproxy |\n|---|---|---|---|\n", o.rounds)
	for _, c := range conns {
		for _, p := range peers {
			rs := ratios[c][p.name]
			fmt.Printf("| %d | %s | %.0f%% | %.2fx |\n", c, p.name, 100*median(rs, 0), median(rs, 1))
		}
	}
	for _, c := range conns {
		r, err := runWrk(ctx, o, c, backend)
		if err != nil {
			return err
		}
		fmt.Printf("| - | %d | (one backend, direct) | %.0f | %s | %s | | | | | %s |\n", c, r.rps, us(r.p50), us(r.p99), r.errors)
	}
	if o.profile {
		if o.fast {
			return profileWharf(ctx, e, o, conns[len(conns)-1], ports[8], ports[9])
		}
		return profileWharf(ctx, e, o, conns[len(conns)-1], ports[0], ports[3])
	}
	return nil
}

func backendName(o options) string {
	if o.goBackends {
		return fmt.Sprintf("one Go net/http process (GOMAXPROCS %d) on two ports", o.bworkers)
	}
	return fmt.Sprintf("one nginx (%d worker) answering `return 200` on two ports", o.bworkers)
}

// checkRouting sends eight requests through p and wants 200s from both
// backends (nginx's workers each keep their own round robin, so not an
// exact alternation), and 404 for an unknown host (but from the bare
// proxy, which does not route).
func checkRouting(e *env, p peer) error {
	seen := map[string]int{}
	for range 8 {
		code, body, err := get(e.url(p.port), benchHost)
		if err != nil || code != http.StatusOK {
			return fmt.Errorf("%s: GET Host %s: %d %q %v", p.name, benchHost, code, body, err)
		}
		seen[body]++
	}
	if seen["a\n"] == 0 || seen["b\n"] == 0 {
		return fmt.Errorf("%s: not round robin over both backends: %v", p.name, seen)
	}
	if strings.HasPrefix(p.name, "bare httputil") { // no routing
		return nil
	}
	if code, body, err := get(e.url(p.port), "unknown.minipot"); err != nil || code != http.StatusNotFound {
		return fmt.Errorf("%s: unknown host: %d %q %v", p.name, code, body, err)
	}
	return nil
}

// get sends GET url with host on a fresh connection.
func get(url, host string) (int, string, error) { return getWith(client, url, host) }

// getWith sends GET url with host through c.
func getWith(c *http.Client, url, host string) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	req.Host = host
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// profileWharf takes a 10 s CPU profile of the wharf proxy under wrk at
// conns connections and prints pprof's top functions.
func profileWharf(ctx context.Context, e *env, o options, conns, port, pprofPort int) error {
	file := e.path("wharf.cpu.pprof")
	done := make(chan error, 1)
	go func() {
		po := o
		po.duration = 12 * time.Second
		_, err := runWrk(ctx, po, conns, e.url(port))
		done <- err
	}()
	time.Sleep(time.Second)
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/profile?seconds=10", pprofPort))
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	if err := os.WriteFile(file, b, 0o600); err != nil {
		return err
	}
	if err := <-done; err != nil {
		return err
	}
	for _, args := range [][]string{{"-top", "-nodecount=25"}, {"-top", "-cum", "-nodecount=40"}} {
		out, err := exec.CommandContext(ctx, "go", append(append([]string{"tool", "pprof"}, args...), e.self, file)...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("go tool pprof: %w\n%s", err, out)
		}
		fmt.Printf("\n== wharf proxy CPU profile, wrk -c %d (pprof %s) ==\n%s", conns, strings.Join(args, " "), out)
	}
	if dst := os.Getenv("INGRESSBENCH_KEEP_PROFILE"); dst != "" {
		return os.WriteFile(dst, b, 0o644)
	}
	return nil
}

// median returns the median of column i of rs.
func median(rs [][2]float64, i int) float64 {
	v := make([]float64, len(rs))
	for k, r := range rs {
		v[k] = r[i]
	}
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}
