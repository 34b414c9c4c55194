//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wharf-project/wharf/bench/internal/benchrun"
	"github.com/wharf-project/wharf/bench/internal/procfs"
	"github.com/wharf-project/wharf/internal/structs"
)

// server is one running `wharf agent` with the server role.
type server struct {
	name string
	cmd  *exec.Cmd
	out  *benchrun.SyncBuffer
	addr string
	dir  string
	done chan struct{}
}

// serverHCL is a server's configuration: an embedded etcd member on its
// own loopback ports with the space quota quota, no per-client
// connection cap (every simulated node comes from 127.0.0.1) and ACLs
// off.
func serverHCL(name, dir string, http, client, peer int, cluster, quota string) string {
	return fmt.Sprintf(`name       = %q
datacenter = "dc1"
data_dir   = %q
bind_addr  = "127.0.0.1"
log_level  = "warn"
ports {
  http = %d
}
server {
  enabled = true
}
etcd {
  name            = %q
  client_url      = "http://127.0.0.1:%d"
  peer_url        = "http://127.0.0.1:%d"
  initial_cluster = %q
  quota_backend_bytes = %q
}
limits {
  max_conns_per_client = -1
}
acl {
  enabled = false
}
`, name, dir, http, name, client, peer, cluster, quota)
}

// startServers starts three servers forming one etcd cluster under root
// (each with the etcd quota quota and, unless empty, the Go memory limit
// memLimit) and waits until they agree on a leader.
func startServers(ctx context.Context, bin, root, quota, memLimit string) ([]*server, error) {
	ports, err := benchrun.FreePorts(9)
	if err != nil {
		return nil, err
	}
	var peers []string
	for i := range 3 {
		peers = append(peers, fmt.Sprintf("s%d=http://127.0.0.1:%d", i+1, ports[3*i+2]))
	}
	var out []*server
	for i := range 3 {
		s := &server{name: fmt.Sprintf("s%d", i+1), out: &benchrun.SyncBuffer{}, done: make(chan struct{}),
			addr: fmt.Sprintf("http://127.0.0.1:%d", ports[3*i]), dir: filepath.Join(root, fmt.Sprintf("s%d", i+1))}
		if err := os.MkdirAll(filepath.Join(s.dir, "data"), 0o700); err != nil {
			return out, err
		}
		cfg := filepath.Join(s.dir, "server.hcl")
		body := serverHCL(s.name, filepath.Join(s.dir, "data"), ports[3*i], ports[3*i+1], ports[3*i+2], strings.Join(peers, ","), quota)
		if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
			return out, err
		}
		s.cmd = exec.Command(bin, "agent", "-config", cfg)
		s.cmd.Env = append(os.Environ(), "TMPDIR="+s.dir)
		if memLimit != "" {
			s.cmd.Env = append(s.cmd.Env, "GOMEMLIMIT="+memLimit)
		}
		s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
		s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := s.cmd.Start(); err != nil {
			return out, fmt.Errorf("start %s: %w", s.name, err)
		}
		go func() { _ = s.cmd.Wait(); close(s.done) }()
		out = append(out, s)
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		if l, err := agreedLeader(out); err == nil && l != "" {
			return out, nil
		}
		for _, s := range out {
			if err := s.alive(); err != nil {
				return out, err
			}
		}
		if time.Now().After(deadline) {
			return out, fmt.Errorf("no leader in 90 s:\n%s", benchrun.Tail(out[0].out.String(), 20))
		}
		select {
		case <-ctx.Done():
			return out, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// agreedLeader returns the leader every server names, or "" while they
// differ.
func agreedLeader(servers []*server) (string, error) {
	var first string
	for i, s := range servers {
		var l string
		if err := getJSON(s.addr+"/v1/status/leader", &l); err != nil {
			return "", err
		}
		if l == "" || (i > 0 && l != first) {
			return "", nil
		}
		first = l
	}
	return first, nil
}

// leader returns the server whose address is the agreed leader.
func leader(servers []*server) *server {
	l, _ := agreedLeader(servers)
	for _, s := range servers {
		if l != "" && strings.HasSuffix(s.addr, l) {
			return s
		}
	}
	return nil
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// kill ends the server's process group.
func (s *server) kill() {
	_ = syscall.Kill(-s.pid(), syscall.SIGKILL)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
	}
}

// alive reports an error if the server exited.
func (s *server) alive() error {
	select {
	case <-s.done:
		return fmt.Errorf("server %s exited:\n%s", s.name, benchrun.Tail(s.out.String(), 20))
	default:
		return nil
	}
}

// rssMB is the server's VmRSS in MiB.
func (s *server) rssMB() float64 {
	kb, _ := procfs.RSSKB(s.pid())
	return float64(kb) / 1024
}

// cpuTicks is the server's utime+stime in clock ticks.
func (s *server) cpuTicks() uint64 {
	t, _ := procfs.CPUTicks(s.pid())
	return t
}

// dbSizes returns each etcd member's db size in bytes, by member name,
// from /v1/agent/members.
func dbSizes(s *server) (map[string]int64, error) {
	var resp struct {
		Members []struct {
			Name string
			Tags map[string]string
		}
	}
	if err := getJSON(s.addr+"/v1/agent/members", &resp); err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, m := range resp.Members {
		n, _ := strconv.ParseInt(m.Tags["db_size"], 10, 64)
		name, _, _ := strings.Cut(m.Name, ".")
		out[name] = n
	}
	return out, nil
}

// placed counts the allocations of the c1m jobs the servers hold (every
// client status but queued), from the job list of one server. The
// servers' wharf_scheduler_placements_total is not used: it counts a
// plan's placements only when computed and applied on the same snapshot.
func placed(s *server) (float64, error) {
	var jobs []*structs.JobListStub
	if err := getJSON(s.addr+"/v1/jobs?prefix=c1m-", &jobs); err != nil {
		return 0, err
	}
	var n int
	for _, j := range jobs {
		if j.JobSummary == nil {
			continue
		}
		for _, g := range j.JobSummary.Summary {
			n += g.Starting + g.Running + g.Complete + g.Failed + g.Lost + g.Unknown
		}
	}
	return float64(n), nil
}

// metric reads one unlabelled counter from an agent's /v1/metrics.
func metric(addr, name string) (float64, error) {
	var resp struct {
		Counters []struct {
			Name   string
			Sum    float64
			Labels map[string]string
		}
	}
	if err := getJSON(addr+"/v1/metrics", &resp); err != nil {
		return 0, fmt.Errorf("metrics: %w", err)
	}
	for _, c := range resp.Counters {
		if c.Name == name && len(c.Labels) == 0 {
			return c.Sum, nil
		}
	}
	return 0, fmt.Errorf("metrics: no counter %s", name)
}

// httpClient sends the driver's own requests (not the nodes').
var httpClient = &http.Client{Timeout: 60 * time.Second}

func getJSON(url string, out any) error {
	resp, err := httpClient.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, b)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// put sends a PUT without a body and returns the answer's body.
func put(url string) (string, error) {
	req, _ := http.NewRequest(http.MethodPut, url, nil)
	resp, err := httpClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("PUT %s: %s: %s", url, resp.Status, b)
	}
	return string(b), nil
}
