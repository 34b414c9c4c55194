package scheduler

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

func TestParseReservedPorts(t *testing.T) {
	tests := []struct {
		in   string
		want []portRange
	}{
		{"", nil},
		{"22", []portRange{{22, 22}}},
		{"22,80,8000-8100", []portRange{{22, 22}, {80, 80}, {8000, 8100}}},
		{" 22 , 8000 - 8002 ", []portRange{{22, 22}, {8000, 8002}}},
		{"x,0,70000,10-5,443", []portRange{{443, 443}}},
	}
	for _, tt := range tests {
		if got := parseReservedPorts(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("parseReservedPorts(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestPortSet(t *testing.T) {
	var s portSet
	for p := 1000 + portSetSmall*2; p >= 1000; p-- {
		if !s.add(p) {
			t.Fatalf("add %d: not new", p)
		}
	}
	if s.bits == nil || s.slots != nil {
		t.Fatal("set did not switch to a bitmap")
	}
	if s.add(1000) || !s.has(1050) || s.has(999) || s.has(0) || s.has(70000) {
		t.Error("membership wrong after growth")
	}
	if !s.remove(1050) || s.has(1050) || s.remove(1050) {
		t.Error("remove wrong")
	}
	var small portSet
	small.add(5)
	small.add(6)
	if !small.remove(5) || small.has(5) || !small.has(6) {
		t.Error("small remove wrong")
	}
}

func TestPortSetMatchesMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, span := range []int{40, 300, 5000} {
		var s portSet
		want := map[int]bool{}
		for range 20000 {
			p := 20000 + rng.IntN(span)
			if rng.IntN(3) == 0 {
				if got := s.remove(p); got != want[p] {
					t.Fatalf("remove(%d) = %v", p, got)
				}
				delete(want, p)
			} else {
				if got := s.add(p); got == want[p] {
					t.Fatalf("add(%d) = %v", p, got)
				}
				want[p] = true
			}
		}
		for p := 19990; p < 20000+span+10; p++ {
			if s.has(p) != want[p] {
				t.Fatalf("span %d: has(%d) = %v", span, p, s.has(p))
			}
		}
	}
}

func TestDynFreeCount(t *testing.T) {
	ns := &nodeState{dynMin: 100, dynMax: 199, reserved: parseReservedPorts("90-110,105-120,150")}
	// reserved in range: 100-120 (21 ports) + 150.
	if got := ns.reservedInDynRange(); got != 22 {
		t.Fatalf("reserved in range = %d, want 22", got)
	}
	ns.dynFree = 100 - ns.reservedInDynRange()
	ns.takePort(100) // reserved: not counted again
	ns.takePort(180)
	ns.takePort(180) // already taken
	ns.takePort(500) // outside the range
	if ns.dynFree != 77 {
		t.Errorf("dynFree = %d, want 77", ns.dynFree)
	}
	ns.releasePort(180)
	ns.releasePort(181) // never taken
	if ns.dynFree != 78 {
		t.Errorf("dynFree after release = %d, want 78", ns.dynFree)
	}
}

// portJob is a job whose group asks for the given ports.
func portJob(count int, nets ...*structs.NetworkResource) *structs.Job {
	job := testJob("web", count)
	job.TaskGroups[0].Networks = nets
	return job
}

func TestStaticPortCollision(t *testing.T) {
	st := newFakeState(testNodes(2, "dc1")...)
	job := portJob(3, &structs.NetworkResource{ReservedPorts: []structs.Port{{Label: "http", Value: 8080}}})
	res := run(t, st, job)
	if got := countBy(placed(res.Plan), nodeOf); len(got) != 2 {
		t.Fatalf("placements %v, want one per node", got)
	}
	m := res.FailedTGAllocs["web"]
	if m == nil || m.DimensionExhausted[dimPortCollision] != 2 || res.QueuedAllocations["web"] != 1 {
		t.Errorf("metric %+v", m)
	}
	for _, a := range placed(res.Plan) {
		sp := a.AllocatedResources.Shared
		if sp.Ports[0].Value != 8080 || sp.Ports[0].To != 8080 || sp.Networks[0].ReservedPorts[0].Value != 8080 {
			t.Errorf("ports %+v", sp)
		}
	}
}

func TestStaticPortUsedByOtherJob(t *testing.T) {
	st := newFakeState(testNode("n0", "dc1"))
	other := existingAlloc(testJob("other", 1), 0, "n0")
	other.AllocatedResources.Shared.Ports = []structs.PortMapping{{Label: "x", Value: 8080}}
	st.upsert(other)
	res := run(t, st, portJob(1, &structs.NetworkResource{ReservedPorts: []structs.Port{{Label: "http", Value: 8080}}}))
	if m := res.FailedTGAllocs["web"]; m == nil || m.DimensionExhausted[dimPortCollision] != 1 {
		t.Fatalf("metric %+v", m)
	}
	// Once the other allocation is terminal the port is free.
	other.ClientStatus = structs.AllocClientStatusComplete
	if res := run(t, st, portJob(1, &structs.NetworkResource{ReservedPorts: []structs.Port{{Label: "http", Value: 8080}}})); res.Blocked {
		t.Error("port of a terminal alloc still counted")
	}
}

func TestReservedHostPorts(t *testing.T) {
	n := testNode("n0", "dc1")
	n.ReservedResources = &structs.NodeReservedResources{Networks: structs.NodeReservedNetworkResources{ReservedHostPorts: "22,80,8000-8100"}}
	st := newFakeState(n)
	res := run(t, st, portJob(1, &structs.NetworkResource{ReservedPorts: []structs.Port{{Label: "http", Value: 8050}}}))
	if m := res.FailedTGAllocs["web"]; m == nil || m.DimensionExhausted[dimReservedPort] != 1 {
		t.Fatalf("metric %+v", m)
	}

	// Dynamic ports avoid reserved ones even when the range is mostly reserved.
	n.NodeResources.MinDynamicPort, n.NodeResources.MaxDynamicPort = 7990, 8110
	res = run(t, st, portJob(21, &structs.NetworkResource{DynamicPorts: []structs.Port{{Label: "http"}}}))
	as := placed(res.Plan)
	if len(as) != 20 {
		t.Fatalf("placed %d, want the 20 free ports of 7990-8110 minus 8000-8100", len(as))
	}
	for _, a := range as {
		if v := a.AllocatedResources.Shared.Ports[0].Value; v >= 8000 && v <= 8100 {
			t.Errorf("reserved port %d chosen", v)
		}
	}
	if m := res.FailedTGAllocs["web"]; m == nil || m.DimensionExhausted[dimDynamicPortsFail] != 1 {
		t.Errorf("metric %+v", m)
	}
}

func TestDynamicPortsWithinRange(t *testing.T) {
	n := testNode("n0", "dc1")
	n.NodeResources.MinDynamicPort, n.NodeResources.MaxDynamicPort = 40000, 40009
	st := newFakeState(n)
	res := run(t, st, portJob(5, &structs.NetworkResource{DynamicPorts: []structs.Port{{Label: "a"}, {Label: "b"}}}))
	seen := map[int]bool{}
	for _, a := range placed(res.Plan) {
		for _, p := range a.AllocatedResources.Shared.Ports {
			if p.Value < 40000 || p.Value > 40009 || seen[p.Value] {
				t.Errorf("port %d out of range or duplicated", p.Value)
			}
			seen[p.Value] = true
		}
	}
	if len(seen) != 10 || res.Blocked {
		t.Errorf("ports %d blocked %v", len(seen), res.Blocked)
	}
}

func TestNoDuplicatePortsAcross1000Placements(t *testing.T) {
	n := testNode("n0", "dc1")
	n.NodeResources.Cpu.CpuShares, n.NodeResources.Memory.MemoryMB = 1_000_000, 1_000_000
	st := newFakeState(n)
	other := existingAlloc(testJob("other", 1), 0, "n0")
	other.AllocatedResources.Shared.Ports = []structs.PortMapping{{Label: "x", Value: 20001}}
	st.upsert(other)
	res := run(t, st, testJob("web", 1000))
	as := placed(res.Plan)
	if len(as) != 1000 {
		t.Fatalf("placed %d", len(as))
	}
	seen := map[int]bool{20001: true}
	for _, a := range as {
		v := a.AllocatedResources.Shared.Ports[0].Value
		if seen[v] || v < structs.DefaultMinDynamicPort || v > structs.DefaultMaxDynamicPort {
			t.Fatalf("port %d duplicated or out of range", v)
		}
		seen[v] = true
	}
}

func TestPortTo(t *testing.T) {
	tests := []struct {
		name    string
		port    structs.Port
		portMap any
		want    int // 0: same as value
	}{
		{"explicit to", structs.Port{Label: "http", To: 8080}, map[string]any{"http": "80"}, 8080},
		{"port_map string", structs.Port{Label: "http"}, map[string]any{"http": "80"}, 80},
		{"port_map number", structs.Port{Label: "http"}, map[string]any{"http": float64(81)}, 81},
		{"port_map list", structs.Port{Label: "http"}, []any{map[string]any{"http": 82}}, 82},
		{"other label", structs.Port{Label: "admin"}, map[string]any{"http": "80"}, 0},
		{"to -1 means same", structs.Port{Label: "http", To: -1}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := portJob(1, &structs.NetworkResource{DynamicPorts: []structs.Port{tt.port}})
			job.TaskGroups[0].Tasks[0].Config["port_map"] = tt.portMap
			res := run(t, newFakeState(testNode("n0", "dc1")), job)
			p := placed(res.Plan)[0].AllocatedResources.Shared.Ports[0]
			want := tt.want
			if want == 0 {
				want = p.Value
			}
			if p.To != want {
				t.Errorf("To = %d, want %d (value %d)", p.To, want, p.Value)
			}
		})
	}
}

func TestTaskLevelNetwork(t *testing.T) {
	job := portJob(1)
	task := job.TaskGroups[0].Tasks[0]
	task.Config["port_map"] = map[string]any{"http": "80"}
	task.Resources.Networks = []*structs.NetworkResource{{MBits: 10, DynamicPorts: []structs.Port{{Label: "http"}},
		ReservedPorts: []structs.Port{{Label: "admin", Value: 9000}}}}
	res := run(t, newFakeState(testNode("n0", "dc1")), job)
	a := placed(res.Plan)[0]
	tn := a.AllocatedResources.Tasks["server"].Networks
	if len(tn) != 1 || tn[0].IP != "192.0.2.1" || len(tn[0].DynamicPorts) != 1 || tn[0].DynamicPorts[0].To != 80 ||
		len(tn[0].ReservedPorts) != 1 || tn[0].ReservedPorts[0].Value != 9000 || tn[0].MBits != 10 {
		t.Fatalf("task networks %+v", tn)
	}
	if sp := a.AllocatedResources.Shared.Ports; len(sp) != 2 || len(a.AllocatedResources.Shared.Networks) != 0 {
		t.Errorf("shared %+v", a.AllocatedResources.Shared)
	}
}

func TestPickDynamicFallsBackToScan(t *testing.T) {
	ns := &nodeState{dynMin: 30000, dynMax: 30099}
	for p := 30000; p <= 30099; p++ {
		if p != 30042 {
			ns.ports.add(p)
		}
	}
	if got := ns.pickDynamic(rand.New(rand.NewPCG(3, 4))); got != 30042 {
		t.Errorf("picked %d, want the only free port", got)
	}
	ns.ports.add(30042)
	if got := ns.pickDynamic(rand.New(rand.NewPCG(3, 4))); got != 0 {
		t.Errorf("picked %d from a full range", got)
	}
}

func TestExistingPortsFromNetworks(t *testing.T) {
	tests := []struct {
		name string
		set  func(*structs.AllocatedResources)
	}{
		{"shared network only", func(ar *structs.AllocatedResources) {
			ar.Shared.Networks = []*structs.NetworkResource{{ReservedPorts: []structs.Port{{Label: "x", Value: 8080}}}}
		}},
		{"shared dynamic", func(ar *structs.AllocatedResources) {
			ar.Shared.Networks = []*structs.NetworkResource{{DynamicPorts: []structs.Port{{Label: "x", Value: 8080}}}}
		}},
		{"task network", func(ar *structs.AllocatedResources) {
			ar.Tasks["server"].Networks = []*structs.NetworkResource{{DynamicPorts: []structs.Port{{Label: "x", Value: 8080}}}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newFakeState(testNode("n0", "dc1"))
			other := existingAlloc(testJob("other", 1), 0, "n0")
			tt.set(other.AllocatedResources)
			st.upsert(other)
			job := portJob(1, &structs.NetworkResource{ReservedPorts: []structs.Port{{Label: "http", Value: 8080}}})
			for _, state := range []State{st, &usageState{st}} {
				if m := run(t, state, job).FailedTGAllocs["web"]; m == nil || m.DimensionExhausted[dimPortCollision] != 1 {
					t.Errorf("%T: metric %+v", state, m)
				}
			}
		})
	}
}
