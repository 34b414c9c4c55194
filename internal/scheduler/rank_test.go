package scheduler

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

func TestBinPackScore(t *testing.T) {
	empty := &nodeState{cpuCap: 4000, memCap: 8192}
	half := &nodeState{cpuCap: 4000, memCap: 8192, cpuUsed: 2000, memUsed: 4096}
	full := &nodeState{cpuCap: 4000, memCap: 8192, cpuUsed: 3900, memUsed: 8128}
	a := &ask{cpu: 100, mem: 64}
	se, sh, sf := binPackScore(empty, a), binPackScore(half, a), binPackScore(full, a)
	if !(se < sh && sh < sf) {
		t.Errorf("scores empty %.3f half %.3f full %.3f: fuller must score higher", se, sh, sf)
	}
	if sf != 1 || se < 0 || se > 0.05 {
		t.Errorf("range: empty %.3f full %.3f", se, sf)
	}
	if s := binPackScore(&nodeState{}, a); s != 1 {
		t.Errorf("zero capacity scores %.3f", s)
	}
}

func TestBinPackPrefersFullerNode(t *testing.T) {
	nodes := testNodes(2, "dc1")
	st := newFakeState(nodes...)
	other := testJob("other", 1)
	busy := existingAlloc(other, 0, "n1")
	busy.AllocatedResources.Tasks["server"].Cpu.CpuShares = 2000
	busy.AllocatedResources.Tasks["server"].Memory.MemoryMB = 4096
	st.upsert(busy)
	res := run(t, st, testJob("web", 1))
	if as := placed(res.Plan); len(as) != 1 || as[0].NodeID != "n1" {
		t.Fatalf("placed on %v, want the fuller n1", countBy(as, nodeOf))
	}
	if s := placed(res.Plan)[0].Metrics.Scores; len(s) != 2 || s["n1"] <= s["n0"] {
		t.Errorf("scores %v", s)
	}
}

func TestTwoInstancesOnTwoNodesLandApart(t *testing.T) {
	for seed := range uint64(50) {
		st := newFakeState(testNodes(2, "minipot")...)
		job := testJob("nginx", 2)
		job.Datacenters = []string{"minipot"}
		job.TaskGroups[0].Tasks[0].Driver = "pot"
		res, err := Process(st, evalFor(job), job, Options{Now: testNow, Rand: rand.New(rand.NewPCG(seed, seed))})
		if err != nil {
			t.Fatal(err)
		}
		if got := countBy(placed(res.Plan), nodeOf); len(got) != 2 {
			t.Fatalf("seed %d: placements %v, want one per node", seed, got)
		}
	}
}

func TestAntiAffinitySpreadsAcrossEqualNodes(t *testing.T) {
	st := newFakeState(testNodes(4, "dc1")...)
	res := run(t, st, testJob("web", 8))
	for node, n := range countBy(placed(res.Plan), nodeOf) {
		if n != 2 {
			t.Errorf("node %s got %d allocs, want 2 each", node, n)
		}
	}
}

func TestReschedulePenaltyAvoidsFailedNode(t *testing.T) {
	p := &structs.ReschedulePolicy{Unlimited: true, DelayFunction: "constant"}
	for seed := range uint64(20) {
		job, st, old := failedJob(p, time.Minute)
		res, err := Process(st, evalFor(job), job, Options{Now: testNow, Rand: rand.New(rand.NewPCG(seed, 1))})
		if err != nil {
			t.Fatal(err)
		}
		if as := placed(res.Plan, old); len(as) != 1 || as[0].NodeID == old.NodeID {
			t.Fatalf("seed %d: rescheduled onto the failed node", seed)
		}
	}
}

func TestTopScores(t *testing.T) {
	var ts topScores
	for i, s := range []float64{0.1, 0.9, 0.5, 0.3, 0.7, 0.2, 0.8} {
		ts.add(fmt.Sprintf("n%d", i), s)
	}
	got := ts.scores()
	if len(got) != topScoreCount || got["n1"] != 0.9 || got["n6"] != 0.8 || got["n3"] != 0.3 {
		t.Errorf("scores %v", got)
	}
	if _, ok := got["n0"]; ok {
		t.Errorf("lowest kept: %v", got)
	}
}

func TestLimit(t *testing.T) {
	tests := []struct {
		nodes  int
		typ    string
		spread bool
		want   int
	}{
		{1, structs.JobTypeService, false, 2},
		{2, structs.JobTypeService, false, 2},
		{5000, structs.JobTypeService, false, 13},
		{4096, structs.JobTypeService, false, 12},
		{5000, structs.JobTypeBatch, false, 2},
		{5000, structs.JobTypeService, true, 100},
	}
	for _, tt := range tests {
		p := &placer{c: &evalCtx{job: &structs.Job{Type: tt.typ}, eval: &structs.Evaluation{}}, states: make([]nodeState, tt.nodes)}
		if got := p.limit(tt.spread); got != tt.want {
			t.Errorf("limit(%d %s spread=%v) = %d, want %d", tt.nodes, tt.typ, tt.spread, got, tt.want)
		}
	}
}
