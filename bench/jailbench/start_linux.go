package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/wharf-project/wharf/bench/internal/benchrun"
	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/pot"
	"github.com/wharf-project/wharf/internal/image/fetch"
	"github.com/wharf-project/wharf/internal/netjail"
	"github.com/wharf-project/wharf/internal/structs"
)

// The private jail network of the start benchmark.
const (
	benchBridge = "wbench"
	benchCIDR   = "10.253.0.0/24"
	benchTable  = "wharf_bench"
)

// The image the start benchmark runs, and the command in it.
const (
	startPot = "hello-web"
	startTag = "1.0"
)

var startArgs = []string{"/bin/busybox", "sleep", "1000"}

// startEnv is the start benchmark's driver, image server and peer.
type startEnv struct {
	root  string
	url   string
	cache *fetch.Cache
	opts  pot.Options
	d     *pot.Driver
	runc  string
}

// benchStart times jail starts in bridge and host mode and bare runc,
// interleaved, then the driver's steps one by one.
func benchStart(ctx context.Context, root string, o options) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("jails need root")
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(o.images)))
	defer srv.Close()
	e, err := newStartEnv(root, srv.URL, o.runc)
	if err != nil {
		return err
	}
	defer e.close()
	if info := e.d.Fingerprint(ctx); !info.Healthy {
		return fmt.Errorf("pot driver unhealthy: %s", info.HealthDescription)
	}
	// Warm-up, untimed: downloads and unpacks the image, sets up the
	// bridge and nftables table, and pages in runc and this binary.
	for _, mode := range []string{"bridge", "host"} {
		if _, err := e.jailOnce(ctx, mode, -1); err != nil {
			return fmt.Errorf("warm-up %s: %w", mode, err)
		}
	}
	bare, err := e.newBareBundle()
	if err != nil {
		return err
	}
	if _, err := bare.once(ctx, -1); err != nil {
		return fmt.Errorf("warm-up bare runc: %w", err)
	}
	kinds := []string{"bridge", "host", "bare"}
	res := map[string]durations{}
	for i := 0; i < o.n; i++ {
		for k := range kinds {
			kind := kinds[(i+k)%len(kinds)] // rotate the order each round
			var d time.Duration
			if kind == "bare" {
				d, err = bare.once(ctx, i)
			} else {
				d, err = e.jailOnce(ctx, kind, i)
			}
			if err != nil {
				return fmt.Errorf("round %d, %s: %w", i, kind, err)
			}
			res[kind] = append(res[kind], d)
		}
	}
	fmt.Printf("jail start, image cached, %d rounds (runc %s)\n\n", o.n, e.runcVersion())
	header("start")
	row("wharf jail, bridge + port_map (StartTask)", res["bridge"])
	row("wharf jail, host network (StartTask)", res["host"])
	row("peer: bare `runc run --detach`, fresh netns", res["bare"])
	fmt.Printf("\nwharf bridge - bare runc, p50: %s\n", ms(res["bridge"].pct(50)-res["bare"].pct(50)))
	fmt.Printf("wharf host   - bare runc, p50: %s\n\n", ms(res["host"].pct(50)-res["bare"].pct(50)))
	return e.breakdown(ctx, o.n)
}

// newStartEnv makes the driver on the private network, with its own
// image cache, data and state directories.
func newStartEnv(root, url, runc string) (*startEnv, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cache, err := fetch.NewCache(fetch.Config{Dir: filepath.Join(root, "cache")})
	if err != nil {
		return nil, err
	}
	path, err := exec.LookPath(runc)
	if err != nil {
		return nil, fmt.Errorf("runc: %w", err)
	}
	e := &startEnv{root: root, url: url, cache: cache, runc: path}
	e.opts = pot.Options{Enabled: true, DataDir: filepath.Join(root, "data"), StateDir: filepath.Join(root, "s"),
		Cache: cache, RuncPath: path, SupervisorCommand: []string{exe, "supervise"},
		Bridge: benchBridge, CIDR: benchCIDR, NFTTable: benchTable, AllowHostNetwork: true}
	e.d = pot.New(e.opts)
	return e, nil
}

// close removes the private jail network.
func (e *startEnv) close() {
	if err := e.d.DeleteNetwork(); err != nil {
		fmt.Fprintln(os.Stderr, "jailbench:", err)
	}
	_ = netjail.DeleteTable(benchTable)
	_ = netjail.DeleteBridge(benchBridge)
}

// runcVersion is the first line of `runc --version`.
func (e *startEnv) runcVersion() string {
	out, _ := exec.Command(e.runc, "--version").Output()
	var v string
	fmt.Sscanf(string(out), "runc version %s", &v)
	return v
}

// taskConfig returns a task of the start image in a fresh allocation
// directory; bridge mode maps a free host port to port 80.
func (e *startEnv) taskConfig(mode string, i int) (*drivers.TaskConfig, error) {
	alloc := fmt.Sprintf("%08x-jailbench-%s-%d", rand.Uint32(), mode, i)
	dir := filepath.Join(e.root, "allocs", alloc)
	taskDir, logDir := filepath.Join(dir, "t"), filepath.Join(dir, "alloc", "logs")
	for _, d := range []string{filepath.Join(taskDir, "local"), filepath.Join(taskDir, "secrets"), logDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	conf := map[string]any{"image": e.url, "pot": startPot, "tag": startTag, "command": startArgs[0],
		"args": toAny(startArgs[1:]), "network_mode": mode}
	cfg := &drivers.TaskConfig{ID: alloc + "/t", AllocID: alloc, JobID: "jailbench", TaskGroupName: "g",
		TaskName: "t", Config: conf, Env: map[string]string{"PATH": "/bin"}, MemoryMB: 64, CPUShares: 100,
		AllocDir: dir, TaskDir: taskDir, LogDir: logDir, LogMaxFiles: 2, LogMaxFileSizeMB: 1}
	if mode == "bridge" {
		port, err := benchrun.FreePort()
		if err != nil {
			return nil, err
		}
		conf["port_map"] = map[string]any{"http": "80"}
		cfg.Ports = []structs.PortMapping{{Label: "http", Value: port}}
	}
	return cfg, nil
}

// jailOnce times one StartTask, then stops and destroys the jail
// (untimed).
func (e *startEnv) jailOnce(ctx context.Context, mode string, i int) (time.Duration, error) {
	cfg, err := e.taskConfig(mode, i)
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(cfg.AllocDir)
	t0 := time.Now()
	if _, err := e.d.StartTask(ctx, cfg); err != nil {
		return 0, err
	}
	took := time.Since(t0)
	return took, e.stopJail(ctx, cfg.ID)
}

// stopJail kills a jail, waits for its end and destroys it.
func (e *startEnv) stopJail(ctx context.Context, id string) error {
	ch, err := e.d.WaitTask(ctx, id)
	if err != nil {
		return err
	}
	if err := e.d.StopTask(ctx, id, time.Second, "SIGKILL"); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		return fmt.Errorf("jail %s did not exit in 30s", id)
	}
	if err := e.d.DestroyTask(ctx, id, false); err != nil {
		return fmt.Errorf("destroy: %w", err)
	}
	return nil
}

// toAny converts a string list to the []any HCL decoding gives.
func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// jsonEdit decodes a JSON file, lets f edit it and writes it back.
func jsonEdit(path string, f func(map[string]any)) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	f(m)
	data, err = json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}
