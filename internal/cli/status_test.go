package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// cliCase is one CLI run against the seeded fake API.
type cliCase struct {
	name    string
	setup   func(f *fakeAPI)
	args    []string
	code    int
	stdout  []string
	stderr  []string
	absent  []string
	checkFn func(t *testing.T, r result)
}

func runCases(t *testing.T, tests []cliCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := seededAPI(newFakeAPI(t))
			if tt.setup != nil {
				tt.setup(f)
			}
			r := f.run(t, map[string]*structs.Job{"nginx.job": seedJob()}, tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.out, r.err)
			}
			mustContain(t, r.out, tt.stdout...)
			mustContain(t, r.err, tt.stderr...)
			for _, a := range tt.absent {
				if strings.Contains(r.out, a) {
					t.Errorf("stdout should not contain %q:\n%s", a, r.out)
				}
			}
			if tt.checkFn != nil {
				tt.checkFn(t, r)
			}
		})
	}
}

func wantJSON(into any) func(t *testing.T, r result) {
	return func(t *testing.T, r result) {
		t.Helper()
		if err := json.Unmarshal([]byte(r.out), into); err != nil {
			t.Fatalf("stdout is not JSON: %v\n%s", err, r.out)
		}
	}
}

func TestJobStatus(t *testing.T) {
	blocked := func(f *fakeAPI) {
		f.jobEvals["nginx-minipot"] = append(f.jobEvals["nginx-minipot"],
			evalWith("complete", func(e *structs.Evaluation) {
				e.CreateIndex = 130
				e.FailedTGAllocs = map[string]*structs.AllocMetric{"group1": missingDriverMetric()}
				e.BlockedEval = blockedID
			}),
			evalWith("blocked", func(e *structs.Evaluation) { e.ID = blockedID; e.CreateIndex = 131 }))
	}
	runCases(t, []cliCase{
		{name: "list", args: []string{"job", "status"},
			stdout: []string{"ID             Type     Priority  Status   Submit Date\n",
				"nginx-minipot  service  50        running  2024-05-06T06:08:09Z\n"}},
		{name: "list empty", setup: func(f *fakeAPI) { f.jobs = map[string]*structs.Job{} },
			args: []string{"job", "status"}, stdout: []string{"No running jobs"}},
		{name: "list json", args: []string{"job", "status", "-json"},
			checkFn: wantJSON(&[]*structs.JobListStub{})},
		{name: "detail", args: []string{"job", "status", "nginx-minipot"},
			stdout: []string{
				"ID          = nginx-minipot\n", "Datacenters = minipot\n", "Status      = running\n",
				"Summary\nTask Group  Queued  Starting  Running  Failed  Complete  Lost  Unknown\n" +
					"group1      0       0         1        1       0         0     0\n",
				"Allocations\nID        Node ID   Task Group  Version  Desired  Status   Created  Modified\n" +
					"8ba85cef  171a583b  group1      0        run      running  5m ago   4m ago\n" +
					"8ba85cf0  171a583b  group1      0        stop     failed   2h ago   1h3m ago\n",
				"Allocation Addresses\nAlloc ID  Task Group  Label  Address\n8ba85cef  group1      http   10.0.0.5:22854 -> 80\n"},
			absent: []string{"Placement Failure", "8ba85cf0  group1      http"}},
		{name: "detail by prefix verbose", args: []string{"job", "status", "-verbose", "ngi"},
			stdout: []string{allocID + "  " + nodeID, "2024-05-06T07:03:09Z"}},
		{name: "placement failure", setup: blocked, args: []string{"job", "status", "nginx-minipot"},
			stdout: []string{"\nPlacement Failure\nTask Group \"group1\" (failed to place 1 allocation):\n" +
				"  * Constraint \"missing drivers\": 3 nodes excluded by filter\n" +
				"  * No node has a healthy \"pot\" driver"}},
		{name: "placement failure resolved", setup: func(f *fakeAPI) {
			blocked(f)
			evals := f.jobEvals["nginx-minipot"]
			evals[len(evals)-1].Status = "complete"
		}, args: []string{"job", "status", "nginx-minipot"}, absent: []string{"Placement Failure"}},
		{name: "json", args: []string{"job", "status", "-json", "nginx-minipot"},
			checkFn: func(t *testing.T, r result) {
				var v jobStatusView
				wantJSON(&v)(t, r)
				if v.Job.ID != "nginx-minipot" || len(v.Allocations) != 2 || v.Summary == nil {
					t.Errorf("json = %+v", v)
				}
			}},
		{name: "not found", args: []string{"job", "status", "nope"}, code: 1,
			stderr: []string{`Error: no job with ID or prefix "nope" found`}},
		{name: "ambiguous prefix", setup: func(f *fakeAPI) {
			j := seedJob()
			j.ID = "nginx-other"
			f.jobs[j.ID] = j
		}, args: []string{"job", "status", "ngi"}, code: 1,
			stderr: []string{`prefix "ngi" matched multiple jobs`, "nginx-minipot\nnginx-other"}},
		{name: "exact id beats prefix", setup: func(f *fakeAPI) {
			j := seedJob()
			j.ID = "nginx-minipot-2"
			f.jobs[j.ID] = j
		}, args: []string{"job", "status", "nginx-minipot"}, stdout: []string{"ID          = nginx-minipot\n"}},
		{name: "server down", setup: func(f *fakeAPI) { f.srv.Close() }, args: []string{"job", "status"}, code: 1,
			stderr: []string{"Error: listing jobs:"}},
	})
}

func TestAllocStatus(t *testing.T) {
	runCases(t, []cliCase{
		{name: "by prefix", args: []string{"alloc", "status", "8ba85ce"},
			stdout: []string{
				"ID                  = 8ba85cef\n", "Eval ID             = 5d8a5e9b\n",
				"Name                = nginx-minipot.group1[0]\n", "Node ID             = 171a583b\n",
				"Node Name           = minipot\n", "Job ID              = nginx-minipot\n",
				"Job Version         = 0\n", "Client Status       = running\n",
				"Client Description  = Tasks are running\n", "Desired Status      = run\n",
				"Desired Description = <none>\n", "Created             = 5m ago\n", "Modified            = 4m ago\n",
				"Allocation Addresses (mode = \"bridge\"):\nLabel  Dynamic  Address\nhttp   yes      10.0.0.5:22854 -> 80\n",
				"Task \"www1\" is \"running\"\n",
				"Recent Events:\nTime                  Type            Description\n" +
					"2024-05-06T07:03:49Z  Started         Task started by client\n" +
					"2024-05-06T07:03:39Z  Terminated      Exit Code: 137, Signal: 9\n" +
					"2024-05-06T07:03:29Z  Restarting      Task restarting in 15s\n" +
					"2024-05-06T07:03:19Z  Driver Failure  pot: fetch https://potluck.honeyguide.net/nginx-nomad/nginx-nomad-amd64-13_1_1.1.13.xz: 404 Not Found\n" +
					"2024-05-06T07:03:09Z  Received        Task received by client\n"}},
		{name: "verbose", args: []string{"alloc", "status", "-verbose", allocID},
			stdout: []string{"ID                  = " + allocID, "Created             = 2024-05-06T07:03:09Z"}},
		{name: "json", args: []string{"alloc", "status", "-json", "8ba85cef"},
			checkFn: func(t *testing.T, r result) {
				var a structs.Allocation
				wantJSON(&a)(t, r)
				if a.ID != allocID {
					t.Errorf("ID = %q", a.ID)
				}
			}},
		{name: "ambiguous prefix", args: []string{"alloc", "status", "8ba85c"}, code: 1,
			stderr: []string{`prefix "8ba85c" matched multiple allocations`, allocID + "\n" + allocID2}},
		{name: "not found", args: []string{"alloc", "status", "ffff"}, code: 1,
			stderr: []string{`no allocation with ID or prefix "ffff" found`}},
		{name: "no task states yet", setup: func(f *fakeAPI) { f.allocs[allocID].TaskStates = nil },
			args: []string{"alloc", "status", allocID}, stdout: []string{"No task has reported a state yet"}},
		{name: "missing argument", args: []string{"alloc", "status"}, code: 1,
			stderr: []string{"accepts 1 arg(s), received 0", "Run 'wharf alloc status -help' for usage."}},
	})
}

func TestNodeStatus(t *testing.T) {
	runCases(t, []cliCase{
		{name: "list", args: []string{"node", "status"},
			stdout: []string{"ID        DC       Name     Class   Drain  Eligibility  Status\n" +
				"171a583b  minipot  minipot  <none>  false  eligible     ready\n"}},
		{name: "list verbose", args: []string{"node", "status", "-verbose"},
			stdout: []string{nodeID, "10.0.0.5"}},
		{name: "list empty", setup: func(f *fakeAPI) { f.nodes = map[string]*structs.Node{} },
			args: []string{"node", "status"}, stdout: []string{"No nodes registered"}},
		{name: "detail", args: []string{"node", "status", "171"},
			stdout: []string{"ID                 = 171a583b\n", "Drivers            = raw_exec\n",
				"Drivers\nDriver    Detected  Healthy  Message\n" +
					"pot       false     false    pot binary not found in $PATH\n" +
					"raw_exec  true      true     Healthy\n",
				"Allocated Resources\nCPU           Memory          Disk\n200/4000 MHz  64 MiB/7.8 GiB  0 MiB/97.7 GiB\n",
				"8ba85cef  nginx-minipot  group1      0        run      running  5m ago   4m ago\n"}},
		{name: "json", args: []string{"node", "status", "-json", "171"},
			checkFn: func(t *testing.T, r result) {
				var v nodeStatusView
				wantJSON(&v)(t, r)
				if v.Node.ID != nodeID || len(v.Allocations) != 2 {
					t.Errorf("json = %+v", v)
				}
			}},
		{name: "not found", args: []string{"node", "status", "abc"}, code: 1,
			stderr: []string{`no node with ID or prefix "abc" found`}},
	})
}

func TestEvalStatus(t *testing.T) {
	failedEval := func(f *fakeAPI) {
		f.evalSeq[evalID] = []*structs.Evaluation{evalWith("complete", func(e *structs.Evaluation) {
			m := exhaustedMetric()
			m.ConstraintFiltered = map[string]int{"missing drivers": 3}
			e.FailedTGAllocs = map[string]*structs.AllocMetric{"group1": m}
			e.BlockedEval = blockedID
		})}
		f.evalAllocs[evalID] = nil
	}
	runCases(t, []cliCase{
		{name: "complete", args: []string{"eval", "status", "5d8"},
			stdout: []string{"ID                 = 5d8a5e9b\n", "Status             = complete\n",
				"TriggeredBy        = job-register\n", "Placement Failures = false\n",
				"Placed Allocations\n", "8ba85cef  171a583b  group1"}},
		{name: "placement failures", setup: failedEval, args: []string{"eval", "status", evalID},
			stdout: []string{"Placement Failures = true\n",
				"Failed Placements\nTask Group \"group1\" (failed to place 2 allocations):\n" +
					"  * Constraint \"missing drivers\": 3 nodes excluded by filter\n" +
					"  * Resources exhausted on 3 nodes\n  * Dimension \"memory\" exhausted on 3 nodes\n",
				`No node has a healthy "pot" driver`,
				`Evaluation "e53a3fb5" waiting for additional capacity to place remainder`},
			absent: []string{"Placed Allocations"}},
		{name: "json", args: []string{"eval", "status", "-json", "5d8"},
			checkFn: wantJSON(&structs.Evaluation{})},
		{name: "not found", args: []string{"eval", "status", "zz"}, code: 1,
			stderr: []string{`no evaluation with ID or prefix "zz" found`}},
	})
}

func TestAgeFormatting(t *testing.T) {
	tests := []struct {
		ago  time.Duration
		want string
	}{
		{0, "0s ago"}, {42 * time.Second, "42s ago"}, {5*time.Minute + 3*time.Second, "5m3s ago"},
		{2 * time.Hour, "2h ago"}, {2*time.Hour + 10*time.Minute + 5*time.Second, "2h10m ago"},
		{76 * time.Hour, "3d4h ago"}, {-time.Minute, "0s ago"},
	}
	for _, tt := range tests {
		if got := prettyAge(testNow.Add(-tt.ago), testNow); got != tt.want {
			t.Errorf("prettyAge(%v) = %q, want %q", tt.ago, got, tt.want)
		}
	}
}
