package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// TestDrainOptions checks which flag combinations `node drain` accepts
// and the drain spec each asks for.
func TestDrainOptions(t *testing.T) {
	tests := []struct {
		name     string
		o        drainOptions
		err      string
		deadline time.Duration
	}{
		{name: "enable", o: drainOptions{enable: true, deadline: time.Hour}, deadline: time.Hour},
		{name: "enable with deadline", o: drainOptions{enable: true, deadline: time.Minute, deadlineSet: true}, deadline: time.Minute},
		{name: "force", o: drainOptions{enable: true, deadline: time.Hour, force: true}, deadline: -time.Second},
		{name: "no deadline", o: drainOptions{enable: true, deadline: time.Hour, noDeadline: true}, deadline: 0},
		{name: "monitor", o: drainOptions{monitor: true}},
		{name: "disable", o: drainOptions{disable: true, keepIneligible: true}},
		{name: "neither", o: drainOptions{}, err: "exactly one of -enable and -disable"},
		{name: "both", o: drainOptions{enable: true, disable: true}, err: "exactly one"},
		{name: "monitor and enable", o: drainOptions{monitor: true, enable: true}, err: "-monitor cannot"},
		{name: "force and deadline", o: drainOptions{enable: true, force: true, deadlineSet: true, deadline: time.Minute}, err: "exclude each other"},
		{name: "force and no deadline", o: drainOptions{enable: true, force: true, noDeadline: true}, err: "exclude each other"},
		{name: "zero deadline", o: drainOptions{enable: true, deadlineSet: true}, err: "must be positive"},
		{name: "disable with force", o: drainOptions{disable: true, force: true}, err: "only go with -enable"},
		{name: "bad meta", o: drainOptions{enable: true, deadline: time.Hour, meta: []string{"novalue"}}, err: "want key=value"},
		{name: "empty meta key", o: drainOptions{enable: true, deadline: time.Hour, meta: []string{"=v"}}, err: "want key=value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.o.check()
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("check() = %v, want an error naming %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("check() = %v", err)
			}
			spec := tt.o.spec()
			if !tt.o.enable {
				if spec != nil {
					t.Errorf("spec %+v without -enable", spec)
				}
				return
			}
			if spec == nil || spec.Deadline != tt.deadline {
				t.Errorf("spec %+v, want deadline %s", spec, tt.deadline)
			}
		})
	}
}

// TestNodeStatusDrainRows shows a drain's deadline while it runs and how
// the last drain ended.
func TestNodeStatusDrainRows(t *testing.T) {
	started := testNow.Add(-time.Minute)
	runCases(t, []cliCase{
		{name: "draining with a deadline", setup: func(f *fakeAPI) {
			n := f.nodes[nodeID]
			n.Drain = true
			n.DrainStrategy = structs.NewDrainStrategy(structs.DrainSpec{Deadline: time.Hour}, started)
			n.LastDrain = &structs.DrainMetadata{Status: structs.DrainStatusDraining, UpdatedAt: started}
		}, args: []string{"node", "status", "171"},
			stdout: []string{"Drain Deadline     = " + formatTime(started.Add(time.Hour)) + " (in 59m0s)\n",
				"Last Drain         = draining 1m ago\n"}},
		{name: "forced", setup: func(f *fakeAPI) {
			f.nodes[nodeID].DrainStrategy = structs.NewDrainStrategy(structs.DrainSpec{Deadline: -1}, started)
		}, args: []string{"node", "status", "171"}, stdout: []string{"Drain Deadline     = forced\n"}},
		{name: "complete", setup: func(f *fakeAPI) {
			f.nodes[nodeID].LastDrain = &structs.DrainMetadata{Status: structs.DrainStatusComplete, UpdatedAt: started}
		}, args: []string{"node", "status", "171"}, stdout: []string{"Last Drain         = complete 1m ago\n"},
			absent: []string{"Drain Deadline"}},
	})
}
