package allocrunner

import (
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

func TestClientStatus(t *testing.T) {
	run := &structs.TaskState{State: structs.TaskStateRunning}
	pend := &structs.TaskState{State: structs.TaskStatePending}
	done := &structs.TaskState{State: structs.TaskStateDead}
	fail := &structs.TaskState{State: structs.TaskStateDead, Failed: true}
	tests := []struct {
		name         string
		states       map[string]*structs.TaskState
		status, desc string
	}{
		{"none", nil, structs.AllocClientStatusPending, DescPending},
		{"pending", map[string]*structs.TaskState{"a": pend}, structs.AllocClientStatusPending, DescPending},
		{"running", map[string]*structs.TaskState{"a": run, "b": pend}, structs.AllocClientStatusRunning, DescRunning},
		{"complete", map[string]*structs.TaskState{"a": done, "b": done}, structs.AllocClientStatusComplete, DescComplete},
		{"one done one running", map[string]*structs.TaskState{"a": done, "b": run}, structs.AllocClientStatusRunning, DescRunning},
		{"failed wins", map[string]*structs.TaskState{"a": fail, "b": run}, structs.AllocClientStatusFailed, DescFailed},
	}
	for _, tt := range tests {
		if s, d := ClientStatus(tt.states); s != tt.status || d != tt.desc {
			t.Errorf("%s: got %s %q, want %s %q", tt.name, s, d, tt.status, tt.desc)
		}
	}
}
