package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

func TestRegisterPlacesAllocations(t *testing.T) {
	ts := newTestServer(t, nil)
	for i := 0; i < 3; i++ {
		ts.registerNode(fakeNode(fmt.Sprintf("n%d", i), "dc1", "raw_exec"))
	}
	resp := ts.register(testJob("web", 3, "raw_exec"))
	if resp.EvalID == "" || resp.JobModifyIndex == 0 {
		t.Fatalf("register response lacks eval or index: %+v", resp)
	}
	e := ts.waitEval(resp.EvalID)
	if e.Status != structs.EvalStatusComplete {
		t.Fatalf("eval status %q (%s)", e.Status, e.StatusDescription)
	}
	allocs := ts.liveAllocs("web")
	if len(allocs) != 3 {
		t.Fatalf("got %d allocations, want 3", len(allocs))
	}
	ports := map[string]bool{}
	for _, a := range allocs {
		if a.NodeID == "" || a.DesiredStatus != structs.AllocDesiredStatusRun || a.ClientStatus != structs.AllocClientStatusPending {
			t.Errorf("alloc %s: node %q desired %q client %q", a.ID, a.NodeID, a.DesiredStatus, a.ClientStatus)
		}
		if len(a.AllocatedResources.Shared.Ports) != 1 {
			t.Fatalf("alloc %s has ports %+v", a.ID, a.AllocatedResources.Shared.Ports)
		}
		p := a.AllocatedResources.Shared.Ports[0]
		if p.Value < 20000 || p.Value > 32000 || p.To != 80 {
			t.Errorf("port %+v outside 20000-32000 or not mapped to 80", p)
		}
		ports[fmt.Sprint(a.NodeID, p.Value)] = true
	}
	if len(ports) != 3 {
		t.Errorf("port collision: %v", ports)
	}
	var stubs []*structs.AllocListStub
	ts.mustDo("GET", "/v1/job/web/allocations", nil, &stubs)
	if len(stubs) != 3 || stubs[0].JobType != structs.JobTypeService {
		t.Fatalf("job allocations: %d stubs, type %q", len(stubs), stubs[0].JobType)
	}
	var job structs.Job
	ts.mustDo("GET", "/v1/job/web", nil, &job)
	if job.Status != structs.JobStatusRunning || job.Version != 0 {
		t.Errorf("job status %q version %d", job.Status, job.Version)
	}
}

func TestBlockedEvalRetriedWhenNodeJoins(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.registerNode(fakeNode("other", "dc1", "raw_exec"))
	resp := ts.register(testJob("jail", 1, "pot"))
	e := ts.waitEval(resp.EvalID)
	if e.BlockedEval == "" {
		t.Fatalf("no blocked eval created: %+v", e)
	}
	m := e.FailedTGAllocs["web"]
	if m == nil || m.ConstraintFiltered["missing drivers"] != 1 {
		t.Fatalf("failed allocation metric does not name the missing driver: %+v", m)
	}
	var sum structs.JobSummary
	ts.mustDo("GET", "/v1/job/jail/summary", nil, &sum)
	if sum.Summary["web"].Queued != 1 {
		t.Errorf("summary queued = %d, want 1", sum.Summary["web"].Queued)
	}
	ts.registerNode(fakeNode("jailhost", "dc1", "pot"))
	ts.waitFor("the blocked allocation to be placed", func() bool { return len(ts.liveAllocs("jail")) == 1 })
}

func TestNodeMissingHeartbeatLosesAllocations(t *testing.T) {
	ts := newTestServer(t, func(c *Config) {
		c.MinHeartbeatTTL, c.HeartbeatGrace = 50*time.Millisecond, 50*time.Millisecond
	})
	a := fakeNode("a", "dc1", "raw_exec")
	ts.registerNode(a)
	ts.waitEval(ts.register(testJob("svc", 1, "raw_exec")).EvalID)
	first := ts.liveAllocs("svc")
	if len(first) != 1 || first[0].NodeID != a.ID {
		t.Fatalf("allocation not on node a: %+v", first)
	}
	b := fakeNode("b", "dc1", "raw_exec")
	ts.registerNode(b)
	stop := make(chan struct{})
	defer close(stop)
	go func() { // b stays alive; a goes silent
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				// Plain HTTP: this goroutine may outlive the test's failure
				// paths, so it must not call t.Fatal.
				req, _ := http.NewRequest("PUT", ts.http.URL+"/v1/node/"+b.ID+"/heartbeat", strings.NewReader("{}"))
				req.Header.Set(NodeSecretHeader, nodeSecret(b.ID))
				if resp, err := http.DefaultClient.Do(req); err == nil {
					resp.Body.Close()
				}
			}
		}
	}()
	ts.waitFor("node a down", func() bool { return ts.store.Snapshot().Node(a.ID).Status == structs.NodeStatusDown })
	ts.waitFor("replacement on node b", func() bool {
		live := ts.liveAllocs("svc")
		return len(live) == 1 && live[0].NodeID == b.ID
	})
	old := ts.store.Snapshot().Alloc(first[0].ID)
	if old.ClientStatus != structs.AllocClientStatusLost || old.DesiredStatus != structs.AllocDesiredStatusStop {
		t.Errorf("old allocation: client %q desired %q, want lost/stop", old.ClientStatus, old.DesiredStatus)
	}
}

func TestScaleAndStop(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.registerNode(fakeNode("a", "dc1", "raw_exec"))
	ts.registerNode(fakeNode("b", "dc1", "raw_exec"))
	ts.waitEval(ts.register(testJob("s", 1, "raw_exec")).EvalID)

	var resp structs.JobRegisterResponse
	ts.mustDo("POST", "/v1/job/s/scale", map[string]any{"Count": 2, "Target": map[string]string{"Job": "s", "Group": "web"}}, &resp)
	ts.waitEval(resp.EvalID)
	if n := len(ts.liveAllocs("s")); n != 2 {
		t.Fatalf("after scale to 2: %d allocations", n)
	}
	var st structs.JobScaleStatusResponse
	ts.mustDo("GET", "/v1/job/s/scale", nil, &st)
	if st.TaskGroups["web"].Desired != 2 || st.TaskGroups["web"].Placed != 2 {
		t.Errorf("scale status %+v", st.TaskGroups["web"])
	}

	var dresp structs.JobDeregisterResponse
	ts.mustDo("DELETE", "/v1/job/s", nil, &dresp)
	ts.waitEval(dresp.EvalID)
	if n := len(ts.liveAllocs("s")); n != 0 {
		t.Fatalf("after stop: %d live allocations", n)
	}
	var job structs.Job
	ts.mustDo("GET", "/v1/job/s", nil, &job)
	if !job.Stop || job.Status != structs.JobStatusDead {
		t.Errorf("stopped job: Stop=%v Status=%q", job.Stop, job.Status)
	}
	ts.mustDo("DELETE", "/v1/job/s?purge=true", nil, &dresp)
	if code, _ := ts.do("GET", "/v1/job/s", nil, nil); code != http.StatusNotFound {
		t.Errorf("purged job: GET answered %d, want 404", code)
	}
}

func TestPlanIsADryRun(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.registerNode(fakeNode("a", "dc1", "raw_exec"))
	var plan structs.JobPlanResponse
	ts.mustDo("POST", "/v1/job/p/plan", map[string]any{"Job": testJob("p", 2, "raw_exec"), "Diff": true}, &plan)
	if u := plan.Annotations.DesiredTGUpdates["web"]; u == nil || u.Place != 2 {
		t.Fatalf("plan annotations: %+v", plan.Annotations)
	}
	if plan.Diff == nil || plan.Diff.Type != structs.DiffTypeAdded {
		t.Fatalf("plan diff: %+v", plan.Diff)
	}
	if ts.store.Snapshot().Job("default", "p") != nil {
		t.Fatal("plan stored the job")
	}
}

func TestBadRequests(t *testing.T) {
	ts := newTestServer(t, nil)
	big := `{"Job":{"ID":"` + strings.Repeat("x", maxBodyBytes) + `"}}`
	tests := []struct {
		name, method, path, body string
		code                     int
		want                     string
	}{
		{"syntax", "PUT", "/v1/jobs", `{"Job": {`, 400, "invalid JSON"},
		{"wrong type names field", "PUT", "/v1/jobs", `{"Job": {"ID": "x", "TaskGroups": [{"Count": "two"}]}}`, 400, "TaskGroups.Count"},
		{"missing job", "PUT", "/v1/jobs", `{}`, 400, "field Job"},
		{"empty body", "PUT", "/v1/jobs", ``, 400, "empty"},
		{"validation", "PUT", "/v1/jobs", `{"Job": {"ID": "x", "TaskGroups": [{"Name": "g", "Tasks": [{"Name": "t"}]}]}}`, 400, "river"},
		{"unsupported", "PUT", "/v1/jobs", `{"Job": {"ID": "x", "Periodic": {"Spec": "* * * * *"}}}`, 400, "Job.Periodic"},
		{"unsupported task field", "PUT", "/v1/jobs", `{"Job": {"ID": "x", "TaskGroups": [{"Name": "g", "Tasks": [{"Name": "t", "Templates": [{"DestPath": "a"}]}]}]}}`, 400, "Tasks[0].Templates"},
		{"oversized", "PUT", "/v1/jobs", big, 413, "limits.job_max_bytes"},
		{"unknown job", "GET", "/v1/job/nope", "", 404, "not found"},
		{"unknown alloc", "GET", "/v1/allocation/nope", "", 404, "not found"},
		{"unknown eval", "GET", "/v1/evaluation/nope", "", 404, "not found"},
		{"unknown node", "GET", "/v1/node/nope", "", 404, "not found"},
		{"unknown path", "GET", "/v1/nothing", "", 404, "no API path"},
		{"bad index", "GET", "/v1/jobs?index=abc", "", 400, "index"},
		{"bad wait", "GET", "/v1/jobs?index=1&wait=soon", "", 400, "wait"},
		{"node without resources", "PUT", "/v1/node/register", `{"ID": "n1"}`, 400, "NodeResources"},
		{"scale without group", "POST", "/v1/job/x/scale", `{"Count": 1}`, 400, "Target.Group"},
		{"stop unknown job", "DELETE", "/v1/job/nope", "", 404, "not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := ts.do(tc.method, tc.path, tc.body, nil)
			if code != tc.code || !strings.Contains(body, tc.want) {
				t.Fatalf("%s %s: %d %q, want %d containing %q", tc.method, tc.path, code, body, tc.code, tc.want)
			}
		})
	}
	if n := len(ts.store.Snapshot().Jobs("*")); n != 0 {
		t.Fatalf("bad requests stored %d jobs", n)
	}
}

func TestBlockingQueryWakesOnChange(t *testing.T) {
	ts := newTestServer(t, nil)
	var jobs []*structs.JobListStub
	code, _ := ts.do("GET", "/v1/jobs", nil, &jobs)
	if code != 200 {
		t.Fatal(code)
	}
	index := max(ts.store.Snapshot().TableIndex("jobs", "allocs", "evals"), 1) // what X-Nomad-Index said
	got := make(chan []*structs.JobListStub, 1)
	go func() {
		var out []*structs.JobListStub
		ts.do("GET", fmt.Sprintf("/v1/jobs?index=%d&wait=10s", index), nil, &out)
		got <- out
	}()
	time.Sleep(20 * time.Millisecond) // let the query block; its answer must still come after the write
	ts.register(testJob("late", 0, "raw_exec"))
	select {
	case out := <-got:
		if len(out) != 1 || out[0].ID != "late" {
			t.Fatalf("blocking query returned %+v", out)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("blocking query did not wake")
	}
}
