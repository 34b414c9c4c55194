package server

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"
	"github.com/wharf-project/wharf/internal/structs"
)

// nomadTypePairs are Nomad's API types and the wharf types their JSON is
// decoded into.
var nomadTypePairs = []struct{ nomad, wharf any }{
	{nomad.JobRegisterRequest{}, structs.JobRegisterRequest{}}, {nomad.JobPlanRequest{}, structs.JobPlanRequest{}},
	{nomad.JobValidateRequest{}, structs.JobRegisterRequest{}},
	{nomad.ScalingRequest{}, structs.ScalingRequest{}}, {nomad.Job{}, structs.Job{}}, {nomad.TaskGroup{}, structs.TaskGroup{}},
	{nomad.Task{}, structs.Task{}}, {nomad.Service{}, structs.Service{}}, {nomad.ServiceCheck{}, structs.ServiceCheck{}},
	{nomad.CheckRestart{}, structs.CheckRestart{}}, {nomad.Resources{}, structs.Resources{}},
	{nomad.NetworkResource{}, structs.NetworkResource{}}, {nomad.Port{}, structs.Port{}},
	{nomad.Constraint{}, structs.Constraint{}}, {nomad.Affinity{}, structs.Affinity{}}, {nomad.Spread{}, structs.Spread{}},
	{nomad.SpreadTarget{}, structs.SpreadTarget{}}, {nomad.RestartPolicy{}, structs.RestartPolicy{}},
	{nomad.ReschedulePolicy{}, structs.ReschedulePolicy{}}, {nomad.UpdateStrategy{}, structs.UpdateStrategy{}},
	{nomad.EphemeralDisk{}, structs.EphemeralDisk{}}, {nomad.LogConfig{}, structs.LogConfig{}},
}

// TestNomadFieldsMatchNomadAPI checks that every field Nomad's Go client
// can send is either a wharf field or listed in nomadFields, and that
// nomadFields lists nothing wharf has.
func TestNomadFieldsMatchNomadAPI(t *testing.T) {
	for _, p := range nomadTypePairs {
		nt, wt := reflect.TypeOf(p.nomad), reflect.TypeOf(p.wharf)
		wf := jsonFields(wt)
		for name := range jsonFields(nt) {
			if _, ok := wf[name]; !ok && !contains(nomadFields[wt.Name()], name) {
				t.Errorf("nomad/api %s.%s is neither a field of wharf's %s nor in nomadFields", nt.Name(), name, wt.Name())
			}
		}
		for _, name := range nomadFields[wt.Name()] {
			if _, ok := wf[strings.ToLower(name)]; ok {
				t.Errorf("nomadFields[%s] lists %s, a field wharf has", wt.Name(), name)
			}
		}
	}
}

// nomadJob builds a job with Nomad's Go client the way its users do,
// canonicalized as Nomad's CLI does before it submits.
func nomadJob() *nomad.Job {
	job := nomad.NewServiceJob("web", "web", "global", 50)
	job.Datacenters = []string{"dc1"}
	job.Constrain(nomad.NewConstraint("${attr.kernel.name}", "=", "linux"))
	job.Meta = map[string]string{"owner": "ops"}
	tg := nomad.NewTaskGroup("web", 2)
	tg.Networks = []*nomad.NetworkResource{{DynamicPorts: []nomad.Port{{Label: "http", To: 80}}}}
	tg.Spreads = []*nomad.Spread{{Attribute: "${node.unique.id}"}}
	task := nomad.NewTask("server", "raw_exec").
		SetConfig("command", "/bin/sleep").SetConfig("args", []string{"60"}).
		Require(&nomad.Resources{CPU: intp(100), MemoryMB: intp(64)})
	task.Env = map[string]string{"A": "b"}
	task.Services = []*nomad.Service{{Name: "web", PortLabel: "http", Tags: []string{"a"},
		Checks: []nomad.ServiceCheck{{Type: "tcp", Interval: 5 * time.Second, Timeout: time.Second}}}}
	tg.AddTask(task)
	job.AddTaskGroup(tg)
	job.Canonicalize()
	return job
}

func intp(i int) *int { return &i }

// TestNomadClientBodiesPassFieldCheck marshals what Nomad's Go client
// sends for register, plan, validate and scale, with every default its
// Canonicalize fills in, and checks none of it is refused.
func TestNomadClientBodiesPassFieldCheck(t *testing.T) {
	job := nomadJob()
	batch := nomad.NewBatchJob("b", "b", "global", 50)
	batch.AddTaskGroup(nomad.NewTaskGroup("g", 1).AddTask(nomad.NewTask("t", "raw_exec").SetConfig("command", "/bin/true")))
	batch.Canonicalize()
	count := int64(3)
	for _, c := range []struct {
		name string
		body any
		typ  any
	}{
		{"register", &nomad.JobRegisterRequest{Job: job, EnforceIndex: true, PreserveCounts: true,
			WriteRequest: nomad.WriteRequest{Region: "global", Namespace: "default"}}, structs.JobRegisterRequest{}},
		{"register batch", &nomad.JobRegisterRequest{Job: batch}, structs.JobRegisterRequest{}},
		{"plan", &nomad.JobPlanRequest{Job: job, Diff: true}, structs.JobPlanRequest{}},
		{"validate", &nomad.JobValidateRequest{Job: job}, structs.JobRegisterRequest{}},
		{"scale", &nomad.ScalingRequest{Count: &count, Target: map[string]string{"Group": "web"}, Message: "m"}, structs.ScalingRequest{}},
		{"empty job", &nomad.JobRegisterRequest{Job: &nomad.Job{}}, structs.JobRegisterRequest{}},
	} {
		body, err := json.Marshal(c.body)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkFields(body, reflect.TypeOf(c.typ)); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

func TestUnknownFieldsRefused(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.register(testJob("keep", 1, "raw_exec"))
	withJob := func(mod func(j map[string]any)) string {
		b, _ := json.Marshal(testJob("x", 1, "raw_exec"))
		var j map[string]any
		_ = json.Unmarshal(b, &j)
		mod(j)
		return mustJSON(t, map[string]any{"Job": j})
	}
	task := func(j map[string]any) map[string]any {
		return j["TaskGroups"].([]any)[0].(map[string]any)["Tasks"].([]any)[0].(map[string]any)
	}
	tests := []struct {
		name, path, body string
		code             int
		want             string
	}{
		{"top level", "/v1/jobs", `{"Jbo": {}, "Job": {"ID": "x"}}`, 400, "unknown field: Jbo"},
		{"job", "/v1/jobs", withJob(func(j map[string]any) { j["Prority"] = 50 }), 400, "unknown field: Job.Prority"},
		{"task", "/v1/jobs", withJob(func(j map[string]any) { task(j)["Drivr"] = "raw_exec" }), 400, "unknown field: Job.TaskGroups[0].Tasks[0].Drivr"},
		{"resources", "/v1/jobs", withJob(func(j map[string]any) { task(j)["Resources"].(map[string]any)["Memroy"] = 5 }),
			400, "Job.TaskGroups[0].Tasks[0].Resources.Memroy"},
		{"check", "/v1/jobs", withJob(func(j map[string]any) {
			task(j)["Services"] = []any{map[string]any{"Name": "s", "Checks": []any{map[string]any{"Typ": "tcp"}}}}
		}), 400, "Job.TaskGroups[0].Tasks[0].Services[0].Checks[0].Typ"},
		{"set Nomad feature", "/v1/jobs", withJob(func(j map[string]any) { j["Periodic"] = map[string]any{"Spec": "* * * * *"} }),
			400, "unsupported by wharf: Job.Periodic"},
		{"set Nomad group feature", "/v1/jobs", withJob(func(j map[string]any) {
			j["TaskGroups"].([]any)[0].(map[string]any)["Volumes"] = map[string]any{"v": map[string]any{"Type": "host"}}
		}), 400, "unsupported by wharf: Job.TaskGroups[0].Volumes"},
		{"set Nomad task field", "/v1/jobs", withJob(func(j map[string]any) { task(j)["Kind"] = "connect-proxy:x" }),
			400, "unsupported by wharf: Job.TaskGroups[0].Tasks[0].Kind"},
		{"plan", "/v1/job/x/plan", withJob(func(j map[string]any) { j["Foo"] = 1 }), 400, "unknown field: Job.Foo"},
		{"validate", "/v1/validate/job", withJob(func(j map[string]any) { j["Foo"] = 1 }), 200, "unknown field: Job.Foo"},
		{"scale", "/v1/job/keep/scale", `{"Count": 2, "Target": {"Group": "web"}, "Cnt": 3}`, 400, "unknown field: Cnt"},
		{"problems are capped", "/v1/jobs", withJob(func(j map[string]any) {
			for i := range 1000 {
				j[strings.Repeat("z", i+1)] = 1
			}
		}), 400, "unknown field: Job.z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out := ts.do("PUT", tc.path, tc.body, nil)
			if code != tc.code || !strings.Contains(out, tc.want) {
				t.Fatalf("%d %.300q, want %d containing %q", code, out, tc.code, tc.want)
			}
			if len(out) > 4000 {
				t.Errorf("answer is %d bytes long", len(out))
			}
		})
	}
	// Empty Nomad fields and any letter case of wharf's are accepted.
	ts.mustDo("PUT", "/v1/jobs", withJob(func(j map[string]any) {
		j["Periodic"], j["Migrate"], j["VaultNamespace"] = nil, map[string]any{}, ""
		j["taskgroups"] = j["TaskGroups"]
		delete(j, "TaskGroups")
	}), nil)
	if jobs := ts.store.Snapshot().Jobs("*"); len(jobs) != 2 {
		t.Fatalf("%d jobs stored", len(jobs))
	}
}
