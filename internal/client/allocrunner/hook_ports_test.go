package allocrunner

import (
	"net"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

// TestPortTakenOnHostFailsSetup: a host port assigned to the allocation is
// held by a process wharf does not manage; the tasks fail with a Setup
// Failure naming the port instead of starting.
func TestPortTakenOnHostFailsSetup(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	taken := ln.Addr().(*net.TCPAddr).Port

	h := newHarness(t)
	a := testAlloc(&structs.Task{Name: "web", Config: map[string]any{}})
	a.AllocatedResources = &structs.AllocatedResources{Shared: structs.AllocatedSharedResources{
		Ports: []structs.PortMapping{{Label: "http", Value: taken, To: 80, HostIP: "127.0.0.1"}}}}
	ar := h.newRunner(a)
	h.run(ar)
	got := h.waitStatus(ar, structs.AllocClientStatusFailed)
	web := got.TaskStates["web"]
	last := web.Events[len(web.Events)-1]
	if last.Type != structs.TaskSetupFailure || !strings.Contains(last.SetupError, `port "http"`) ||
		!strings.Contains(last.SetupError, "already in use") {
		t.Fatalf("last event %s: %q", last.Type, last.SetupError)
	}
	if n := len(h.driver.Tasks()); n != 0 {
		t.Errorf("driver started %d tasks despite the taken port", n)
	}
}

func TestFreePortsPassSetup(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	free := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	hook := &portsHook{started: func() bool { return false }, alloc: &structs.Allocation{AllocatedResources: &structs.AllocatedResources{
		Shared: structs.AllocatedSharedResources{Ports: []structs.PortMapping{{Label: "http", Value: free, HostIP: "127.0.0.1"}}}}}}
	if err := hook.Prerun(t.Context()); err != nil {
		t.Fatal(err)
	}
}
