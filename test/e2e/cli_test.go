package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestStatusCommands reads the seed job's allocation, node and evaluation
// back through the CLI, by ID prefix, as text and as JSON.
func TestStatusCommands(t *testing.T) {
	a := startAgent(t, "-dev")
	c := a.client(t)
	nodes := startNodes(t, c, 1)
	if out, code := run(t, a.addr, "job", "run", seedJob); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	var allocID, evalID string
	waitFor(t, 10*time.Second, "a running allocation", func() bool {
		allocs, _, err := c.Jobs().Allocations("nginx-minipot", false, nil)
		if err == nil && len(allocs) == 1 && allocs[0].ClientStatus == "running" {
			allocID, evalID = allocs[0].ID, allocs[0].EvalID
			return true
		}
		return false
	})

	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"alloc", "status", allocID[:6]}, []string{allocID[:8], "nginx-minipot", "running", "http"}},
		{[]string{"node", "status"}, []string{nodes[0].Node.ID[:8], "minipot", "ready"}},
		{[]string{"node", "status", nodes[0].Node.ID[:5]}, []string{"pot", "nginx-minipot"}},
		{[]string{"eval", "status", evalID[:6]}, []string{"complete", "job-register"}},
		{[]string{"job", "inspect", "nginx-minipot"}, []string{`"Driver": "pot"`}},
	}
	for _, tc := range tests {
		out, code := run(t, a.addr, tc.args...)
		t.Logf("wharf %s:\n%s", strings.Join(tc.args, " "), out)
		if code != 0 {
			t.Errorf("wharf %s exited %d:\n%s", strings.Join(tc.args, " "), code, out)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("wharf %s lacks %q:\n%s", strings.Join(tc.args, " "), w, out)
			}
		}
	}
	out, code := run(t, a.addr, "alloc", "status", "-json", allocID[:6])
	var alloc map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &alloc) != nil || alloc["ID"] != allocID {
		t.Errorf("alloc status -json: %d\n%s", code, out)
	}
	if out, code := run(t, a.addr, "alloc", "status", "ffffffff"); code != 1 || !strings.Contains(strings.ToLower(out), "no allocation") {
		t.Errorf("unknown allocation: %d\n%s", code, out)
	}
}
