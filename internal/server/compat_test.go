package server

import (
	"os"
	"testing"

	nomad "github.com/hashicorp/nomad/api"
)

// TestNomadAPIClient drives the server with Nomad's official Go client:
// parse the seed job, register it, read it back, list its allocations and
// evaluations, scale it, stop it.
func TestNomadAPIClient(t *testing.T) {
	ts := newTestServer(t, nil)
	for _, name := range []string{"a", "b"} {
		ts.registerNode(fakeNode(name, "minipot", "pot"))
	}
	c, err := nomad.NewClient(&nomad.Config{Address: ts.http.URL})
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../../examples/nginx.job")
	if err != nil {
		t.Fatal(err)
	}
	job, err := c.Jobs().ParseHCL(string(src), true)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if *job.ID != "nginx-minipot" || job.TaskGroups[0].Tasks[0].Services[0].Name != "hello-web" {
		t.Fatalf("parsed job lost fields: %+v", job)
	}
	reg, _, err := c.Jobs().Register(job, nil)
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	ts.waitEval(reg.EvalID)

	got, meta, err := c.Jobs().Info("nginx-minipot", nil)
	if err != nil {
		t.Fatalf("info: %v", err)
	}
	if meta.LastIndex == 0 {
		t.Error("no X-Nomad-Index on job info")
	}
	task := got.TaskGroups[0].Tasks[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"Type", *got.Type, "service"},
		{"Datacenters", got.Datacenters[0], "minipot"},
		{"Count", *got.TaskGroups[0].Count, 1},
		{"Driver", task.Driver, "pot"},
		{"Config.pot", task.Config["pot"], "nginx-nomad-amd64-13_1"},
		{"Config.port_map", task.Config["port_map"], map[string]any{"http": "80"}},
		{"Resources.CPU", *task.Resources.CPU, 200},
		{"Resources.MemoryMB", *task.Resources.MemoryMB, 64},
		{"Service.PortLabel", task.Services[0].PortLabel, "http"},
		{"Check.Type", task.Services[0].Checks[0].Type, "tcp"},
		{"Check.Interval", task.Services[0].Checks[0].Interval.String(), "5s"},
		{"Check.Timeout", task.Services[0].Checks[0].Timeout.String(), "2s"},
		{"Network.DynamicPorts", got.TaskGroups[0].Networks[0].DynamicPorts[0].Label, "http"},
		{"KillTimeout", task.KillTimeout.String(), "5s"},
		{"RestartPolicy.Attempts", *got.TaskGroups[0].RestartPolicy.Attempts, 2},
		{"Status", *got.Status, "running"},
	}
	for _, ck := range checks {
		if !equalJSON(ck.got, ck.want) {
			t.Errorf("%s = %#v, want %#v", ck.name, ck.got, ck.want)
		}
	}

	allocs, _, err := c.Jobs().Allocations("nginx-minipot", false, nil)
	if err != nil || len(allocs) != 1 {
		t.Fatalf("allocations: %v, %d", err, len(allocs))
	}
	alloc, _, err := c.Allocations().Info(allocs[0].ID, nil)
	if err != nil {
		t.Fatalf("allocation info: %v", err)
	}
	if alloc.Job == nil || *alloc.Job.ID != "nginx-minipot" || alloc.AllocatedResources.Shared.Ports[0].Label != "http" {
		t.Errorf("allocation lacks its job or ports: %+v", alloc)
	}
	evals, _, err := c.Jobs().Evaluations("nginx-minipot", nil)
	if err != nil || len(evals) == 0 || evals[0].Status != "complete" {
		t.Fatalf("evaluations: %v %+v", err, evals)
	}

	two := 2
	sresp, _, err := c.Jobs().Scale("nginx-minipot", "group1", &two, "scale to two", false, nil, nil)
	if err != nil {
		t.Fatalf("scale: %v", err)
	}
	ts.waitEval(sresp.EvalID)
	allocs, _, _ = c.Jobs().Allocations("nginx-minipot", false, nil)
	if len(allocs) != 2 {
		t.Fatalf("after scale: %d allocations", len(allocs))
	}
	summary, _, err := c.Jobs().Summary("nginx-minipot", nil)
	if err != nil || summary.Summary["group1"].Starting != 2 {
		t.Fatalf("summary: %v %+v", err, summary)
	}
	versions, _, _, err := c.Jobs().Versions("nginx-minipot", true, nil)
	if err != nil || len(versions) != 2 {
		t.Fatalf("versions: %v, %d", err, len(versions))
	}

	nodes, _, err := c.Nodes().List(nil)
	if err != nil || len(nodes) != 2 {
		t.Fatalf("nodes: %v %d", err, len(nodes))
	}
	leader, err := c.Status().Leader()
	if err != nil || leader == "" {
		t.Fatalf("leader: %q %v", leader, err)
	}

	evalID, _, err := c.Jobs().Deregister("nginx-minipot", false, nil)
	if err != nil {
		t.Fatalf("deregister: %v", err)
	}
	ts.waitEval(evalID)
	if n := len(ts.liveAllocs("nginx-minipot")); n != 0 {
		t.Fatalf("after stop: %d live allocations", n)
	}
	if _, _, err := c.Jobs().Deregister("nginx-minipot", true, nil); err != nil {
		t.Fatalf("purge: %v", err)
	}
	if _, _, err := c.Jobs().Info("nginx-minipot", nil); err == nil {
		t.Fatal("purged job still readable")
	}
}
