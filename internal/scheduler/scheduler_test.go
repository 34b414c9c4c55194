package scheduler

import (
	"errors"
	"regexp"
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestProcessPlacesNewJob(t *testing.T) {
	st := newFakeState(testNodes(3, "dc1")...)
	job := testJob("web", 5)
	job.Version = 3
	res := run(t, st, job)

	if res.Blocked || len(res.FailedTGAllocs) != 0 {
		t.Fatalf("blocked=%v failed=%v", res.Blocked, res.FailedTGAllocs)
	}
	if got := res.QueuedAllocations["web"]; got != 0 {
		t.Errorf("queued = %d", got)
	}
	if res.Plan.SnapshotIndex != st.Index() || res.Plan.EvalID != "eval-web" {
		t.Errorf("plan index %d eval %q", res.Plan.SnapshotIndex, res.Plan.EvalID)
	}
	as := placed(res.Plan)
	want := []string{"web.web[0]", "web.web[1]", "web.web[2]", "web.web[3]", "web.web[4]"}
	if got := names(as); !equalStrings(got, want) {
		t.Fatalf("names = %v, want %v", got, want)
	}
	for _, a := range as {
		checkNewAlloc(t, a, job)
	}
	if du := res.Plan.Annotations.DesiredTGUpdates["web"]; du == nil || du.Place != 5 {
		t.Errorf("annotations = %+v", du)
	}
}

// checkNewAlloc checks the fields every placement must carry.
func checkNewAlloc(t *testing.T, a *structs.Allocation, job *structs.Job) {
	t.Helper()
	if !uuidRE.MatchString(a.ID) {
		t.Errorf("ID %q is not a v4 UUID", a.ID)
	}
	if a.Namespace != "default" || a.EvalID != "eval-web" || a.JobID != job.ID || a.JobVersion != job.Version ||
		a.TaskGroup != "web" || a.NodeName != "node-"+a.NodeID {
		t.Errorf("identity fields: %+v", a)
	}
	if a.DesiredStatus != structs.AllocDesiredStatusRun || a.ClientStatus != structs.AllocClientStatusPending {
		t.Errorf("statuses %q/%q", a.DesiredStatus, a.ClientStatus)
	}
	if a.CreateTime != testNow.UnixNano() || a.ModifyTime != testNow.UnixNano() {
		t.Errorf("times %d/%d", a.CreateTime, a.ModifyTime)
	}
	tr := a.AllocatedResources.Tasks["server"]
	if tr == nil || tr.Cpu.CpuShares != 100 || tr.Memory.MemoryMB != 64 {
		t.Errorf("task resources %+v", tr)
	}
	sh := a.AllocatedResources.Shared
	if len(sh.Ports) != 1 || sh.Ports[0].Label != "http" || sh.Ports[0].HostIP != "192.0.2.1" ||
		sh.Ports[0].Value < 20000 || sh.Ports[0].Value > 32000 || sh.Ports[0].To != sh.Ports[0].Value {
		t.Errorf("ports %+v", sh.Ports)
	}
	if len(sh.Networks) != 1 || sh.Networks[0].IP != "192.0.2.1" || len(sh.Networks[0].DynamicPorts) != 1 ||
		sh.Networks[0].DynamicPorts[0].Value != sh.Ports[0].Value {
		t.Errorf("networks %+v", sh.Networks)
	}
	if a.Metrics == nil || a.Metrics.NodesEvaluated == 0 || len(a.Metrics.Scores) == 0 {
		t.Errorf("metrics %+v", a.Metrics)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestProcessErrors(t *testing.T) {
	st := newFakeState()
	job := testJob("web", 1)
	tests := []struct {
		name string
		st   State
		eval *structs.Evaluation
		job  *structs.Job
		is   error
	}{
		{"nil state", nil, evalFor(job), job, nil},
		{"nil eval", st, nil, job, nil},
		{"system job", st, evalFor(job), &structs.Job{ID: "x", Type: "system"}, ErrUnsupportedJobType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Process(tt.st, tt.eval, tt.job, testOpts())
			if err == nil || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Fatalf("err = %v, want %v", err, tt.is)
			}
		})
	}
}

func TestProcessBlocked(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*structs.Job)
		check  func(*testing.T, *structs.AllocMetric)
	}{
		{"no node has the driver", func(j *structs.Job) { j.TaskGroups[0].Tasks[0].Driver = "docker" },
			func(t *testing.T, m *structs.AllocMetric) {
				if m.ConstraintFiltered[keyMissingDrivers] != 3 || m.NodesFiltered != 3 {
					t.Errorf("filtered %v (%d)", m.ConstraintFiltered, m.NodesFiltered)
				}
			}},
		{"memory exhausted", func(j *structs.Job) { j.TaskGroups[0].Tasks[0].Resources.MemoryMB = 9000 },
			func(t *testing.T, m *structs.AllocMetric) {
				if m.DimensionExhausted[dimMemory] != 3 || m.NodesExhausted != 3 {
					t.Errorf("exhausted %v (%d)", m.DimensionExhausted, m.NodesExhausted)
				}
			}},
		{"cpu exhausted", func(j *structs.Job) { j.TaskGroups[0].Tasks[0].Resources.CPU = 5000 },
			func(t *testing.T, m *structs.AllocMetric) {
				if m.DimensionExhausted[dimCPU] != 3 {
					t.Errorf("exhausted %v", m.DimensionExhausted)
				}
			}},
		{"disk exhausted", func(j *structs.Job) { j.TaskGroups[0].EphemeralDisk = &structs.EphemeralDisk{SizeMB: 200000} },
			func(t *testing.T, m *structs.AllocMetric) {
				if m.DimensionExhausted[dimDisk] != 3 {
					t.Errorf("exhausted %v", m.DimensionExhausted)
				}
			}},
		{"constraint", func(j *structs.Job) {
			j.Constraints = []*structs.Constraint{{LTarget: "${attr.kernel.name}", RTarget: "freebsd", Operand: "="}}
		}, func(t *testing.T, m *structs.AllocMetric) {
			if m.ConstraintFiltered["${attr.kernel.name} = freebsd"] != 3 {
				t.Errorf("filtered %v", m.ConstraintFiltered)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newFakeState(testNodes(3, "dc1")...)
			job := testJob("web", 4)
			tt.mutate(job)
			res := run(t, st, job)
			if !res.Blocked || res.QueuedAllocations["web"] != 4 || !res.Plan.IsNoOp() {
				t.Fatalf("blocked=%v queued=%v noop=%v", res.Blocked, res.QueuedAllocations, res.Plan.IsNoOp())
			}
			m := res.FailedTGAllocs["web"]
			if m == nil {
				t.Fatal("no failed metric")
			}
			if m.NodesEvaluated != 3 || m.NodesInPool != 3 || m.CoalescedFailures != 3 || m.NodesAvailable["dc1"] != 3 {
				t.Errorf("metric %+v", m)
			}
			tt.check(t, m)
		})
	}
}

func TestProcessPartialPlacementQueuesRest(t *testing.T) {
	st := newFakeState(testNodes(2, "dc1")...)
	job := testJob("web", 10)
	job.TaskGroups[0].Tasks[0].Resources.CPU = 1000 // 4 per node
	res := run(t, st, job)
	if got := len(placed(res.Plan)); got != 8 {
		t.Fatalf("placed %d, want 8", got)
	}
	if !res.Blocked || res.QueuedAllocations["web"] != 2 {
		t.Errorf("blocked=%v queued=%v", res.Blocked, res.QueuedAllocations)
	}
	if m := res.FailedTGAllocs["web"]; m == nil || m.DimensionExhausted[dimCPU] != 2 || m.CoalescedFailures != 1 {
		t.Errorf("failed metric %+v", m)
	}
}

func TestProcessAnnotations(t *testing.T) {
	st := newFakeState(testNodes(2, "dc1")...)
	job := testJob("web", 3)
	for i := range 4 {
		st.upsert(existingAlloc(job, i, "n0"))
	}
	st.addJob(job)
	job2 := copyJob(job)
	job2.Version = 1
	job2.TaskGroups[0].Count = 3
	job2.Meta = map[string]string{"owner": "ops"}
	st.addJob(job2)
	res := run(t, st, job2)
	du := res.Plan.Annotations.DesiredTGUpdates["web"]
	want := structs.DesiredUpdates{Stop: 1, InPlaceUpdate: 3}
	if du == nil || *du != want {
		t.Errorf("annotations = %+v, want %+v", du, want)
	}
}

// copyJob deep-copies a test job.
func copyJob(j *structs.Job) *structs.Job { return j.Copy() }

func TestProcessWithoutRandIsDeterministic(t *testing.T) {
	job := testJob("web", 20)
	nodesOf := func() map[string]int {
		st := newFakeState(testNodes(10, "dc1")...)
		res, err := Process(st, evalFor(job), job, Options{Now: testNow})
		if err != nil {
			t.Fatal(err)
		}
		return countBy(placed(res.Plan), func(a *structs.Allocation) string { return a.Name + "@" + a.NodeID })
	}
	a, b := nodesOf(), nodesOf()
	if len(a) != 20 || len(a) != len(b) {
		t.Fatalf("placements %d %d", len(a), len(b))
	}
	for k := range a {
		if b[k] != 1 {
			t.Errorf("placement %s differs between runs seeded by the eval ID", k)
		}
	}
}
