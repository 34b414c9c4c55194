package services

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/fake"
	"github.com/wharf-project/wharf/internal/structs"
)

// fakeCatalog is an in-memory catalog that counts its calls; failures
// makes the next calls fail.
type fakeCatalog struct {
	mu        sync.Mutex
	regs      map[string]*structs.ServiceRegistration
	registers int
	deregs    int
	failures  int
}

func newFakeCatalog() *fakeCatalog {
	return &fakeCatalog{regs: map[string]*structs.ServiceRegistration{}}
}

var errDown = errors.New("server down")

func (f *fakeCatalog) fail() bool {
	if f.failures > 0 {
		f.failures--
		return true
	}
	return false
}

func (f *fakeCatalog) Register(_ context.Context, regs []*structs.ServiceRegistration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail() {
		return errDown
	}
	f.registers++
	for _, r := range regs {
		f.regs[r.ID] = r.Copy()
	}
	return nil
}

func (f *fakeCatalog) Deregister(_ context.Context, ids []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail() {
		return errDown
	}
	f.deregs++
	for _, id := range ids {
		delete(f.regs, id)
	}
	return nil
}

func (f *fakeCatalog) ByNode(_ context.Context, nodeID string) ([]*structs.ServiceRegistration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail() {
		return nil, errDown
	}
	var out []*structs.ServiceRegistration
	for _, r := range f.regs {
		if r.NodeID == nodeID {
			out = append(out, r.Copy())
		}
	}
	return out, nil
}

func (f *fakeCatalog) get(id string) *structs.ServiceRegistration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.regs[id].Copy()
}

func (f *fakeCatalog) counts() (int, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.registers, f.deregs
}

// fakeTarget records events and restarts.
type fakeTarget struct {
	mu       sync.Mutex
	events   []*structs.TaskEvent
	restarts int
}

func (t *fakeTarget) EmitEvent(e *structs.TaskEvent) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.events = append(t.events, e)
}

func (t *fakeTarget) RestartUnhealthy(e *structs.TaskEvent) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.restarts++
	t.events = append(t.events, e)
	return nil
}

func (t *fakeTarget) snapshot() ([]*structs.TaskEvent, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]*structs.TaskEvent(nil), t.events...), t.restarts
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newTestManager returns a manager over a fake catalog, running until the
// test ends.
func newTestManager(t *testing.T, cat Catalog) *Manager {
	t.Helper()
	m, err := New(Config{Catalog: cat, NodeID: "node1", Logger: quietLogger(), RetryMin: 5 * time.Millisecond,
		RetryMax: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return m
}

// testWorkload returns a workload of job "web", group "g", task "srv"
// with one port "http" at 127.0.0.1:port and the given task services.
func testWorkload(port int, svcs ...*structs.Service) *Workload {
	task := &structs.Task{Name: "srv", Driver: fake.Name, Services: svcs}
	job := &structs.Job{ID: "web", Name: "web", Namespace: "default",
		TaskGroups: []*structs.TaskGroup{{Name: "g", Tasks: []*structs.Task{task}}}}
	alloc := &structs.Allocation{ID: "a1", JobID: "web", TaskGroup: "g", Namespace: "default", Job: job,
		AllocatedResources: &structs.AllocatedResources{Shared: structs.AllocatedSharedResources{
			Ports: []structs.PortMapping{{Label: "http", Value: port, To: 8080, HostIP: "127.0.0.1"}}}}}
	node := &structs.Node{ID: "node1", Datacenter: "dc1", Attributes: map[string]string{"unique.network.ip-address": "10.1.2.3"}}
	return &Workload{Alloc: alloc, Task: task, Node: node, TaskID: "a1/srv", Driver: fake.New(), Target: &fakeTarget{}}
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// execDriver is a fake driver whose ExecTask exits with the code the
// command's first argument names, writing the command to stdout.
type execDriver struct {
	*fake.Driver
	mu    sync.Mutex
	execs []string
}

func (d *execDriver) ExecTask(ctx context.Context, taskID string, opts *drivers.ExecOptions) (*drivers.ExitResult, error) {
	d.mu.Lock()
	d.execs = append(d.execs, taskID)
	d.mu.Unlock()
	switch opts.Command[0] {
	case "hang":
		<-ctx.Done()
		return nil, ctx.Err()
	case "missing":
		return nil, errors.New(`exec "missing": executable file not found in $PATH`)
	}
	_, _ = io.WriteString(opts.Stdout, "ran "+opts.Command[0])
	code := 0
	if len(opts.Command) > 1 {
		switch opts.Command[1] {
		case "1":
			code = 1
		case "2":
			code = 2
		}
	}
	return &drivers.ExitResult{ExitCode: code}, nil
}

// netDriver is a fake driver that gives tasks an address of their own.
type netDriver struct {
	*fake.Driver
	ip string
}

func (d *netDriver) TaskNetwork(context.Context, string) (*drivers.TaskNetwork, error) {
	return &drivers.TaskNetwork{IP: d.ip, PortMap: map[string]int{"http": 8080}}, nil
}

func (f *fakeCatalog) size() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.regs)
}

func (f *fakeCatalog) put(r *structs.ServiceRegistration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.regs[r.ID] = r
}
