package harness

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// probe is the HTTP client of the harness's own checks: short, so a
// frozen or cut-off agent counts as not answering.
var probe = &http.Client{Timeout: 2 * time.Second}

// LeaderOf returns the leader address the agent reports, and whether it
// answered with one.
func (a *Agent) LeaderOf() (string, bool) {
	req, err := http.NewRequest(http.MethodGet, a.HTTPAddr()+"/v1/status/leader", nil)
	if err != nil {
		return "", false
	}
	if a.c.Token != "" {
		req.Header.Set("X-Nomad-Token", a.c.Token)
	}
	resp, err := probe.Do(req)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	var addr string
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&addr) != nil || addr == "" {
		return "", false
	}
	return addr, true
}

// CurrentLeader returns the server every answering server names as the
// leader, when a majority of the servers answer, all name the same one
// and it is one of them; nil otherwise. It does not wait.
func (c *Cluster) CurrentLeader() *Agent {
	var named string
	answered := 0
	for _, s := range c.Servers {
		if !s.Running() {
			continue
		}
		addr, ok := s.LeaderOf()
		if !ok {
			continue
		}
		if named != "" && addr != named {
			return nil
		}
		named = addr
		answered++
	}
	if answered <= len(c.Servers)/2 {
		return nil
	}
	for _, s := range c.Servers {
		if s.Addr() == named && s.Running() {
			if addr, ok := s.LeaderOf(); ok && addr == named {
				return s
			}
		}
	}
	return nil
}

// Leader waits up to 30 s until the servers agree on one leader (see
// CurrentLeader) and returns it.
func (c *Cluster) Leader(t testing.TB) *Agent {
	t.Helper()
	var leader *Agent
	c.WaitFor(t, 30*time.Second, "the servers to agree on one leader", func() bool {
		leader = c.CurrentLeader()
		return leader != nil
	})
	return leader
}

// waitUp waits until a server names a leader, or a client's node is
// ready, failing the test after 60 s or when the agent exits.
func (c *Cluster) waitUp(t testing.TB, a *Agent) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if a.Server {
			if _, ok := a.LeaderOf(); ok {
				return
			}
		} else if c.nodeReady(a.Name) {
			return
		}
		if !a.Running() {
			t.Fatalf("harness: %s exited while starting:\n%s", a.Name, tail(a.Log(), 100))
		}
		if time.Now().After(deadline) {
			t.Fatalf("harness: %s not up after 60s:\n%s", a.Name, tail(a.Log(), 100))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// nodeReady reports whether a running server lists the node called name
// as ready.
func (c *Cluster) nodeReady(name string) bool {
	for _, s := range c.Servers {
		if !s.Running() {
			continue
		}
		if st, ok := s.NodeStatus(name); ok {
			return st == "ready"
		}
	}
	return false
}

// NodeStatus returns the status of the node called name as the agent
// lists it, and whether the agent answered and lists it.
func (a *Agent) NodeStatus(name string) (string, bool) {
	req, err := http.NewRequest(http.MethodGet, a.HTTPAddr()+"/v1/nodes", nil)
	if err != nil {
		return "", false
	}
	if a.c.Token != "" {
		req.Header.Set("X-Nomad-Token", a.c.Token)
	}
	resp, err := probe.Do(req)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	var nodes []struct{ Name, Status string }
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&nodes) != nil {
		return "", false
	}
	for _, n := range nodes {
		if n.Name == name {
			return n.Status, true
		}
	}
	return "", false
}
