package cli

import (
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/structs"
)

func TestNormalizeArgs(t *testing.T) {
	root := newMeta(io.Discard, io.Discard).rootCommand()
	tests := []struct {
		in, want []string
	}{
		{[]string{"job", "status", "-json", "web"}, []string{"job", "status", "--json", "web"}},
		{[]string{"-address=http://h:1", "job", "run", "-detach", "f"}, []string{"--address=http://h:1", "job", "run", "--detach", "f"}},
		{[]string{"-address", "http://h:1", "node", "status"}, []string{"--address", "http://h:1", "node", "status"}},
		{[]string{"job", "run", "--detach", "-h"}, []string{"job", "run", "--detach", "-h"}},
		{[]string{"job", "run", "-help"}, []string{"job", "run", "--help"}},
		{[]string{"job", "scale", "web", "-notaflag"}, []string{"job", "scale", "web", "-notaflag"}},
		{[]string{"job", "run", "--", "-json"}, []string{"job", "run", "--", "-json"}},
		{[]string{"job", "plan", "-verbose=true", "f"}, []string{"job", "plan", "--verbose=true", "f"}},
	}
	for _, tt := range tests {
		if got := normalizeArgs(root, tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("normalizeArgs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEveryCommandDocumented(t *testing.T) {
	root := newMeta(io.Discard, io.Discard).rootCommand()
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Name() == "agent" || c.Name() == "help" || c.Name() == "completion" {
			return
		}
		if c.Long == "" || (c != root && c.Example == "") {
			t.Errorf("command %q lacks a Long help or an Example", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

func TestFormatList(t *testing.T) {
	got := formatList([][]string{{"ID", "Class", "Status"}, {"abc", "", "ready"}, {"abcdef", "gpu", "down"}})
	want := "ID      Class   Status\nabc     <none>  ready\nabcdef  gpu     down\n"
	if got != want {
		t.Errorf("formatList:\n%s\nwant:\n%s", got, want)
	}
	kv := formatKV([]kv{{"ID", "x"}, {"Long Key", ""}})
	if kv != "ID       = x\nLong Key = <none>\n" {
		t.Errorf("formatKV = %q", kv)
	}
}

func TestEventDescription(t *testing.T) {
	tests := []struct {
		ev   structs.TaskEvent
		want string
	}{
		{structs.TaskEvent{Type: "Started", DisplayMessage: "Task started by client"}, "Task started by client"},
		{structs.TaskEvent{Type: structs.TaskDriverFailure, DriverError: "runc: exec: \"nginx\": not found"}, "runc: exec: \"nginx\": not found"},
		{structs.TaskEvent{Type: structs.TaskDriverFailure}, "Failed to start task"},
		{structs.TaskEvent{Type: structs.TaskSetupFailure, SetupError: "image: checksum mismatch"}, "image: checksum mismatch"},
		{structs.TaskEvent{Type: structs.TaskTerminated, ExitCode: 1}, "Exit Code: 1"},
		{structs.TaskEvent{Type: structs.TaskTerminated, ExitCode: 143, Signal: 15, Message: "oom"}, `Exit Code: 143, Signal: 15, Exit Message: "oom"`},
		{structs.TaskEvent{Type: structs.TaskRestarting, StartDelay: 16_500_000_000}, "Task restarting in 16.5s"},
		{structs.TaskEvent{Type: structs.TaskRestarting, RestartReason: "Restart within policy", StartDelay: 15e9}, "Restart within policy - Task restarting in 15s"},
		{structs.TaskEvent{Type: structs.TaskNotRestarting}, "Task exceeded its restart policy"},
		{structs.TaskEvent{Type: structs.TaskKilled}, "Task successfully killed"},
		{structs.TaskEvent{Type: structs.TaskKilled, KillError: "no such process"}, "Task killed with error: no such process"},
		{structs.TaskEvent{Type: structs.TaskDriverMessage, DriverMessage: "Downloading image 40%"}, "Downloading image 40%"},
		{structs.TaskEvent{Type: structs.TaskSiblingFailed, Details: map[string]string{"failed_sibling": "db"}}, `Task's sibling "db" failed`},
		{structs.TaskEvent{Type: structs.TaskTerminated, DisplayMessage: "Exit Code: 1", DriverError: "jail vanished"}, "Exit Code: 1: jail vanished"},
		{structs.TaskEvent{Type: "Custom", Message: "hello"}, "hello"},
	}
	for _, tt := range tests {
		if got := eventDescription(&tt.ev); got != tt.want {
			t.Errorf("eventDescription(%+v) = %q, want %q", tt.ev, got, tt.want)
		}
	}
}

func TestAllocAddresses(t *testing.T) {
	tests := []struct {
		name string
		res  *structs.AllocatedResources
		want []string
	}{
		{"nil", nil, nil},
		{"group ports", seedResources(), []string{"http 10.0.0.5:22854 -> 80 dynamic"}},
		{"task network, same port", &structs.AllocatedResources{Tasks: map[string]*structs.AllocatedTaskResources{
			"web": {Networks: []*structs.NetworkResource{{IP: "192.168.1.2",
				ReservedPorts: []structs.Port{{Label: "admin", Value: 8080}},
				DynamicPorts:  []structs.Port{{Label: "http", Value: 25000}}}}}}},
			[]string{"admin 192.168.1.2:8080 static", "http 192.168.1.2:25000 dynamic"}},
		{"ipv6", &structs.AllocatedResources{Shared: structs.AllocatedSharedResources{
			Ports: []structs.PortMapping{{Label: "db", Value: 5432, HostIP: "fd00::1"}}}},
			[]string{"db [fd00::1]:5432 static"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, a := range allocAddresses(tt.res) {
				kind := "static"
				if a.Dynamic {
					kind = "dynamic"
				}
				got = append(got, a.Label+" "+a.String()+" "+kind)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFormatJobDiffObjects(t *testing.T) {
	d := &structs.JobDiff{Type: "Edited", ID: "web",
		Fields: []*structs.FieldDiff{{Type: "Added", Name: "Meta[team]", New: "ops"}, {Type: "None", Name: "Priority", Old: "50", New: "50"}},
		TaskGroups: []*structs.TaskGroupDiff{{Type: "Edited", Name: "g", Tasks: []*structs.TaskDiff{{
			Type: "Edited", Name: "t", Annotations: []string{"forces create/destroy update"},
			Objects: []*structs.ObjectDiff{{Type: "Edited", Name: "Config", Fields: []*structs.FieldDiff{
				{Type: "Edited", Name: "tag", Old: "1.1.13", New: "1.1.14"},
				{Type: "Deleted", Name: "command", Old: "nginx"},
				{Type: "None", Name: "pot", Old: "nginx-nomad", New: "nginx-nomad"},
			}}},
		}}, Updates: map[string]uint64{"create/destroy update": 1}}}}
	want := `+/- Job: "web"
  + Meta[team]: "ops"
+/- Task Group: "g" (1 create/destroy update)
  +/- Task: "t" (forces create/destroy update)
    +/- Config {
      +/- tag:     "1.1.13" => "1.1.14"
        - command: "nginx"
        }
`
	if got := formatJobDiff(d, false); got != want {
		t.Errorf("diff:\n%s\nwant:\n%s", got, want)
	}
	verbose := formatJobDiff(d, true)
	for _, s := range []string{`Priority:   "50"`, `pot:     "nginx-nomad"`} {
		if !strings.Contains(verbose, s) {
			t.Errorf("verbose diff lacks %q:\n%s", s, verbose)
		}
	}
}
