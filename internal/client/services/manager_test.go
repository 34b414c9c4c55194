package services

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/drivers/fake"
	"github.com/wharf-project/wharf/internal/structs"
)

// countingListener accepts and closes connections on loopback, counting
// them.
func countingListener(t *testing.T) (int, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	var n atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			_ = c.Close()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port, &n
}

func TestBuildRegistration(t *testing.T) {
	svc := &structs.Service{Name: "web-${NOMAD_TASK_NAME}", PortLabel: "http", Tags: []string{"a", "${X}"},
		Meta: map[string]string{"k": "${X}"}, AddressMode: "host",
		Checks: []*structs.ServiceCheck{{Type: "tcp", Interval: time.Second, Timeout: time.Second}}}
	w := testWorkload(21000, svc)
	w.Interpolate = strings.NewReplacer("${NOMAD_TASK_NAME}", "srv", "${X}", "x").Replace
	reg, specs, err := buildRegistration(context.Background(), w, ownedService{svc: svc})
	if err != nil {
		t.Fatal(err)
	}
	want := &structs.ServiceRegistration{ID: "_wharf-task-a1-srv-web-srv-http", ServiceName: "web-srv", Namespace: "default",
		NodeID: "node1", Datacenter: "dc1", JobID: "web", AllocID: "a1", Task: "srv", Tags: []string{"a", "x"},
		Address: "127.0.0.1", Port: 21000, Meta: map[string]string{"k": "x"},
		Checks: []*structs.CheckStatus{{ID: `service: "web-srv" check`, Name: `service: "web-srv" check`, Type: "tcp",
			Status: structs.HealthCritical, Interval: "1s", Timeout: "1s"}}}
	if !reg.SameContent(want) {
		t.Errorf("registration\n got %+v\nwant %+v", reg, want)
	}
	if len(specs) != 1 {
		t.Fatalf("%d checks", len(specs))
	}
}

func TestResolveAddress(t *testing.T) {
	for _, tc := range []struct {
		name, label, mode, hostIP string
		driver                    bool
		addr                      string
		port                      int
		err                       string
	}{
		{"host ip of the port", "http", "auto", "127.0.0.1", false, "127.0.0.1", 21000, ""},
		{"node address when bound to all", "http", "host", "0.0.0.0", false, "10.1.2.3", 21000, ""},
		{"no port", "", "host", "", false, "10.1.2.3", 0, ""},
		{"missing label", "db", "host", "", false, "", 0, "port label not found"},
		{"driver", "http", "driver", "", true, "10.88.0.5", 8080, ""},
		{"driver numeric", "9090", "driver", "", true, "10.88.0.5", 9090, ""},
		{"driver without network", "http", "driver", "", false, "", 0, "does not give tasks an address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := testWorkload(21000)
			w.Alloc.AllocatedResources.Shared.Ports[0].HostIP = tc.hostIP
			if tc.driver {
				w.Driver = &netDriver{Driver: fake.New(), ip: "10.88.0.5"}
			}
			addr, port, err := resolveAddress(context.Background(), w, tc.label, tc.mode, "")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || addr != tc.addr || port != tc.port {
				t.Fatalf("= %s %d %v, want %s %d", addr, port, err, tc.addr, tc.port)
			}
		})
	}
}

func TestGroupServiceOwner(t *testing.T) {
	tasks := []*structs.Task{{Name: "a"}, {Name: "b", Leader: true}, {Name: "c"}}
	tg := &structs.TaskGroup{Name: "g", Tasks: tasks}
	for _, tc := range []struct {
		svc  *structs.Service
		want string
	}{
		{&structs.Service{TaskName: "c"}, "c"},
		{&structs.Service{Checks: []*structs.ServiceCheck{{Type: "script", TaskName: "a"}}}, "a"},
		{&structs.Service{}, "b"},
	} {
		if got := GroupServiceOwner(tg, tc.svc); got != tc.want {
			t.Errorf("owner = %q, want %q", got, tc.want)
		}
	}
	tasks[1].Leader = false
	if got := GroupServiceOwner(tg, &structs.Service{}); got != "a" {
		t.Errorf("no leader: owner = %q, want the first task", got)
	}
}

func TestGroupServiceRegisteredByOwner(t *testing.T) {
	cat := newFakeCatalog()
	m := newTestManager(t, cat)
	w := testWorkload(21000)
	w.Alloc.Job.TaskGroups[0].Services = []*structs.Service{{Name: "web-g", PortLabel: "http"}}
	if err := m.RegisterWorkload(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	id := RegistrationID("a1", "group-g", "web-g", "http")
	waitFor(t, "group service registered", func() bool { return cat.get(id) != nil })
	if r := cat.get(id); r.Task != "" || r.Health() != structs.HealthPassing {
		t.Errorf("group registration %+v", r)
	}
}

func TestMissingPortLabelEmitsEvent(t *testing.T) {
	cat := newFakeCatalog()
	m := newTestManager(t, cat)
	w := testWorkload(21000, &structs.Service{Name: "bad", PortLabel: "db"}, &structs.Service{Name: "good", PortLabel: "http"})
	err := m.RegisterWorkload(context.Background(), w)
	if err == nil || !strings.Contains(err.Error(), `service "bad"`) {
		t.Fatalf("err = %v", err)
	}
	events, _ := w.Target.(*fakeTarget).snapshot()
	if len(events) != 1 || events[0].Type != EventHookFailed || !strings.Contains(events[0].DisplayMessage, `port "db"`) {
		t.Fatalf("events %+v", events)
	}
	waitFor(t, "good service registered", func() bool { return cat.get(RegistrationID("a1", "srv", "good", "http")) != nil })
}

func TestScriptCheckWithoutExecEmitsEvent(t *testing.T) {
	m := newTestManager(t, newFakeCatalog())
	w := testWorkload(21000, &structs.Service{Name: "s", PortLabel: "http", Checks: []*structs.ServiceCheck{
		{Name: "script", Type: "script", Command: "true", Interval: time.Hour, Timeout: time.Second}}})
	if err := m.RegisterWorkload(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	events, _ := w.Target.(*fakeTarget).snapshot()
	if len(events) != 1 || !strings.Contains(events[0].DisplayMessage, "cannot run script checks") {
		t.Fatalf("events %+v", events)
	}
	id := RegistrationID("a1", "srv", "s", "http")
	waitFor(t, "script check critical with output", func() bool {
		for _, r := range m.Registrations() {
			if r.ID == id && strings.Contains(r.Checks[0].Output, "cannot run script checks") {
				return true
			}
		}
		return false
	})
}

// TestStableCheckWritesOnce runs a passing tcp check 50 times: the
// registration is written when it turns passing and never again. (The
// interval bounds the check's timeout: 1 ms, tried before, timed out
// connects on a loaded machine.)
func TestStableCheckWritesOnce(t *testing.T) {
	port, accepted := countingListener(t)
	cat := newFakeCatalog()
	m := newTestManager(t, cat)
	w := testWorkload(port, &structs.Service{Name: "web", PortLabel: "http", Checks: []*structs.ServiceCheck{
		{Name: "alive", Type: "tcp", Interval: 20 * time.Millisecond, Timeout: time.Second}}})
	if err := m.RegisterWorkload(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	id := RegistrationID("a1", "srv", "web", "http")
	waitFor(t, "passing written", func() bool { r := cat.get(id); return r != nil && r.Health() == structs.HealthPassing })
	before, _ := cat.counts()
	start := accepted.Load()
	waitFor(t, "50 more check runs", func() bool { return accepted.Load() >= start+50 })
	if err := m.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	after, _ := cat.counts()
	if after != before || before > 2 {
		t.Fatalf("register calls: %d before the 50 runs, %d after; want at most 2 and no more", before, after)
	}
}

// TestStatusChangeWritten stops the listener: the check turns critical
// and that change is written.
func TestStatusChangeWritten(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	cat := newFakeCatalog()
	m := newTestManager(t, cat)
	w := testWorkload(ln.Addr().(*net.TCPAddr).Port, &structs.Service{Name: "web", PortLabel: "http",
		Checks: []*structs.ServiceCheck{{Name: "alive", Type: "tcp", Interval: 5 * time.Millisecond, Timeout: time.Second}}})
	if err := m.RegisterWorkload(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	id := RegistrationID("a1", "srv", "web", "http")
	waitFor(t, "passing", func() bool { r := cat.get(id); return r != nil && r.Health() == structs.HealthPassing })
	_ = ln.Close()
	waitFor(t, "critical", func() bool { r := cat.get(id); return r != nil && r.Health() == structs.HealthCritical })
	if out := cat.get(id).Checks[0].Output; !strings.Contains(out, "refused") {
		t.Errorf("output %q", out)
	}
}

func TestBatchingAndRetry(t *testing.T) {
	cat := newFakeCatalog()
	cat.failures = 2
	m := newTestManager(t, cat)
	for _, name := range []string{"a", "b", "c"} {
		w := testWorkload(21000, &structs.Service{Name: name, PortLabel: "http"})
		w.Task.Name = "t" + name
		if err := m.RegisterWorkload(context.Background(), w); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "all written after retries", func() bool {
		regs, _ := cat.counts()
		return regs > 0 && cat.size() == 3
	})
	if regs, _ := cat.counts(); regs != 1 {
		t.Errorf("register calls = %d, want 1 batch", regs)
	}
}

func TestDeregisterWorkload(t *testing.T) {
	cat := newFakeCatalog()
	m := newTestManager(t, cat)
	w := testWorkload(21000, &structs.Service{Name: "web", PortLabel: "http"})
	if err := m.RegisterWorkload(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	id := RegistrationID("a1", "srv", "web", "http")
	waitFor(t, "registered", func() bool { return cat.get(id) != nil })
	m.DeregisterWorkload(w)
	waitFor(t, "deregistered", func() bool { return cat.get(id) == nil })
	if len(m.Registrations()) != 0 {
		t.Error("manager still holds the registration")
	}
	// A task lost after a restart: never registered by this manager.
	cat.put(&structs.ServiceRegistration{ID: id, NodeID: "node1"})
	m.DeregisterWorkload(w)
	waitFor(t, "stale registration removed", func() bool { return cat.get(id) == nil })
}

func TestDeregisterAlloc(t *testing.T) {
	cat := newFakeCatalog()
	m := newTestManager(t, cat)
	w := testWorkload(21000, &structs.Service{Name: "web", PortLabel: "http"})
	if err := m.RegisterWorkload(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "registered", func() bool { return cat.size() == 1 })
	m.DeregisterAlloc("a1")
	waitFor(t, "deregistered", func() bool {
		_, d := cat.counts()
		return d == 1 && cat.get(RegistrationID("a1", "srv", "web", "http")) == nil
	})
}

func TestRefreshRewritesLost(t *testing.T) {
	cat := newFakeCatalog()
	m := newTestManager(t, cat)
	w := testWorkload(21000, &structs.Service{Name: "web", PortLabel: "http"})
	if err := m.RegisterWorkload(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	id := RegistrationID("a1", "srv", "web", "http")
	waitFor(t, "registered", func() bool { return cat.get(id) != nil })
	if err := m.refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := m.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if regs, _ := cat.counts(); regs != 1 {
		t.Fatalf("refresh of an intact copy wrote: %d calls", regs)
	}
	cat.mu.Lock()
	delete(cat.regs, id)
	cat.mu.Unlock()
	if err := m.refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "written again", func() bool { return cat.get(id) != nil })
}

func TestReconcile(t *testing.T) {
	cat := newFakeCatalog()
	for _, r := range []*structs.ServiceRegistration{
		{ID: RegistrationID("live", "t", "web", "http"), AllocID: "live", Task: "t", NodeID: "node1"},
		{ID: RegistrationID("dead", "t", "web", "http"), AllocID: "dead", Task: "t", NodeID: "node1"},
		{ID: RegistrationID("gone", "group-g", "web", "http"), AllocID: "gone", NodeID: "node1"},
		{ID: "external-db", ServiceName: "db", NodeID: "node1"},
		{ID: RegistrationID("other", "t", "web", "http"), AllocID: "other", Task: "t", NodeID: "node2"},
	} {
		cat.put(r)
	}
	m := newTestManager(t, cat)
	running := func(allocID, task string) bool { return allocID == "live" }
	removed, err := m.Reconcile(context.Background(), running)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 2 {
		t.Fatalf("removed %v, want the dead task's and the gone alloc's", removed)
	}
	waitFor(t, "orphans removed", func() bool {
		return cat.get(RegistrationID("dead", "t", "web", "http")) == nil && cat.get(RegistrationID("gone", "group-g", "web", "http")) == nil
	})
	for _, id := range []string{RegistrationID("live", "t", "web", "http"), "external-db", RegistrationID("other", "t", "web", "http")} {
		if cat.get(id) == nil {
			t.Errorf("%s removed", id)
		}
	}
}

// TestReconcileKeepsReregistered: a task re-registered after the server
// answered is not removed by the reconciliation.
func TestReconcileKeepsReregistered(t *testing.T) {
	cat := newFakeCatalog()
	m := newTestManager(t, cat)
	w := testWorkload(21000, &structs.Service{Name: "web", PortLabel: "http"})
	id := RegistrationID("a1", "srv", "web", "http")
	cat.put(&structs.ServiceRegistration{ID: id, AllocID: "a1", Task: "srv", NodeID: "node1"})
	if err := m.RegisterWorkload(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	removed, err := m.Reconcile(context.Background(), func(string, string) bool { return false })
	if err != nil || len(removed) != 0 {
		t.Fatalf("removed %v, %v", removed, err)
	}
}

func TestCheckRestart(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := closed.Addr().(*net.TCPAddr).Port
	_ = closed.Close()
	m := newTestManager(t, newFakeCatalog())
	w := testWorkload(port, &structs.Service{Name: "web", PortLabel: "http", Checks: []*structs.ServiceCheck{
		{Name: "alive", Type: "tcp", Interval: time.Millisecond, Timeout: time.Second,
			CheckRestart: &structs.CheckRestart{Limit: 3}}}})
	if err := m.RegisterWorkload(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	target := w.Target.(*fakeTarget)
	waitFor(t, "restart", func() bool { _, n := target.snapshot(); return n > 0 })
	events, _ := target.snapshot()
	if e := events[len(events)-1]; e.Type != "Restart Signaled" || e.DisplayMessage != `healthcheck: check "alive" unhealthy` {
		t.Errorf("event %s: %s", e.Type, e.DisplayMessage)
	}
}
