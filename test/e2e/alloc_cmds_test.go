package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// startedPIDs returns the PIDs a task printed as "started PID" lines.
func startedPIDs(logs string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`started (\d+)`).FindAllStringSubmatch(logs, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestAllocCommands runs a raw_exec shell task on the dev agent that
// traps SIGUSR1: `alloc restart` starts it again under a new PID with a
// Restart Signaled event, `alloc signal -s SIGUSR1` reaches its trap (seen
// in `alloc logs`), and `alloc stop` has a replacement placed and running.
func TestAllocCommands(t *testing.T) {
	a := startAgent(t, "-dev")
	c := a.client(t)
	marker := fmt.Sprintf("acts-%d", time.Now().UnixNano())
	job := rawJob(t, "acts", marker, `trap 'echo got USR1' USR1; echo "started $$"; while true; do sleep 1; done`, "")
	if out, code := run(t, a.addr, "job", "run", job); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	waitFor(t, 10*time.Second, "a running allocation", func() bool { return len(runningAllocs(t, c, "acts")) == 1 })
	alloc := runningAllocs(t, c, "acts")[0]
	logs := func() string {
		out, _ := run(t, a.addr, "alloc", "logs", alloc.ID[:8], "t")
		return out
	}
	waitFor(t, 10*time.Second, "the task's first start", func() bool { return len(startedPIDs(logs())) == 1 })

	if out, code := run(t, a.addr, "alloc", "restart", alloc.ID[:8], "t"); code != 0 {
		t.Fatalf("alloc restart: %d\n%s", code, out)
	}
	waitFor(t, 15*time.Second, "the task's second start", func() bool { return len(startedPIDs(logs())) == 2 })
	if pids := startedPIDs(logs()); pids[0] == pids[1] {
		t.Errorf("restarted task kept PID %s", pids[0])
	}
	info, _, err := c.Allocations().Info(alloc.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(filterEvents(info, "Restart Signaled")) != 1 {
		t.Errorf("no Restart Signaled event: %+v", info.TaskStates["t"])
	}

	waitFor(t, 10*time.Second, "the restarted task to run", func() bool {
		info, _, err := c.Allocations().Info(alloc.ID, nil)
		return err == nil && info.TaskStates["t"] != nil && info.TaskStates["t"].State == structs.TaskStateRunning
	})
	if out, code := run(t, a.addr, "alloc", "signal", "-s", "SIGUSR1", alloc.ID[:8], "t"); code != 0 {
		t.Fatalf("alloc signal: %d\n%s", code, out)
	}
	waitFor(t, 10*time.Second, "the trap's output", func() bool { return strings.Contains(logs(), "got USR1") })

	if out, code := run(t, a.addr, "alloc", "stop", alloc.ID[:8]); code != 0 {
		t.Fatalf("alloc stop: %d\n%s", code, out)
	}
	waitFor(t, 15*time.Second, "a replacement running", func() bool {
		live := runningAllocs(t, c, "acts")
		return len(live) == 1 && live[0].ID != alloc.ID
	})
	info, _, err = c.Allocations().Info(alloc.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if info.DesiredStatus != structs.AllocDesiredStatusStop {
		t.Errorf("stopped allocation's desired status %q", info.DesiredStatus)
	}
	if out, code := run(t, a.addr, "job", "stop", "-purge", "acts"); code != 0 {
		t.Fatalf("job stop: %d\n%s", code, out)
	}
	waitFor(t, 15*time.Second, "the tasks to stop", func() bool { return len(markerPIDs(marker)) == 0 })
}
