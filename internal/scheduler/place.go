package scheduler

import (
	"math/bits"
	"slices"

	"github.com/wharf-project/wharf/internal/structs"
)

// placer places the reconciler's requests on nodes. It holds one nodeState
// per candidate node (ready, in the job's datacenters and pool), visited in
// a per-evaluation random order from a rotating cursor, so the plan's own
// placements count against capacity and ports.
type placer struct {
	c       *evalCtx
	rec     *reconcileResult
	states  []nodeState
	byID    map[string]int32
	order   []int32
	cursor  int
	inPool  int
	avail   map[string]int
	stops   stopSet
	portBuf []int
	// live are the job's allocations that hold resources and stay.
	live []*structs.Allocation
	// jobProps are the job-level distinct_property constraints.
	jobProps []*distinctProp
	gen      int32
	g        *groupCtx
}

// groupCtx is what the placer precomputes for the group being placed.
type groupCtx struct {
	tg            *structs.TaskGroup
	ask           ask
	taskRes       []*structs.AllocatedTaskResources
	checker       *groupChecker
	ports         *portRequest
	distinctJob   bool
	distinctGroup bool
	props         []*distinctProp
	spread        *spreadScorer
	limit         int
	desired       int
	failed        *structs.AllocMetric
}

// newPlacer builds the candidate nodes and the job's existing footprint.
func newPlacer(c *evalCtx, rec *reconcileResult) *placer {
	p := &placer{c: c, rec: rec, inPool: len(c.nodes), avail: map[string]int{}}
	filter := newNodeFilter(c.job)
	for _, dc := range c.job.Datacenters {
		if !hasGlob(dc) {
			p.avail[dc] = 0
		}
	}
	p.states = make([]nodeState, 0, len(c.nodes))
	for _, n := range c.nodes {
		if filter.admits(n) {
			p.states = append(p.states, nodeState{node: n})
			p.avail[n.Datacenter]++
		}
	}
	p.order = make([]int32, len(p.states))
	for i := range p.order {
		p.order[i] = int32(i)
	}
	c.rng.Shuffle(len(p.order), func(i, j int) { p.order[i], p.order[j] = p.order[j], p.order[i] })
	p.collectLive()
	p.jobProps = p.newProps(c.job.Constraints, "")
	return p
}

// hasGlob reports whether a datacenter pattern has wildcards.
func hasGlob(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '*' || s[i] == '?' {
			return true
		}
	}
	return false
}

// collectLive finds the job's allocations that keep holding resources and
// counts them per node.
func (p *placer) collectLive() {
	for _, s := range p.rec.stops {
		p.stops.add(s.alloc)
	}
	for _, a := range p.c.allocs {
		if a.TerminalStatus() || p.stops.has(a.ID) {
			continue
		}
		p.live = append(p.live, a)
		if ns := p.stateOf(a.NodeID); ns != nil {
			ns.jobCount++
		}
	}
}

// stateOf returns the candidate state of a node, or nil.
func (p *placer) stateOf(nodeID string) *nodeState {
	if p.byID == nil {
		p.byID = make(map[string]int32, len(p.states))
		for i := range p.states {
			p.byID[p.states[i].node.ID] = int32(i)
		}
	}
	i, ok := p.byID[nodeID]
	if !ok {
		return nil
	}
	return &p.states[i]
}

// placeAll places every request, group by group.
func (p *placer) placeAll(reqs []placeReq) {
	for i := range reqs {
		if p.g == nil || p.g.tg != reqs[i].tg {
			p.startGroup(reqs[i].tg)
		}
		p.placeOne(&reqs[i])
	}
}

// startGroup precomputes a group's ask, rules and counters.
func (p *placer) startGroup(tg *structs.TaskGroup) {
	p.gen++
	job := p.c.job
	g := &groupCtx{tg: tg, ask: groupAsk(tg), checker: newGroupChecker(job, tg),
		ports: newPortRequest(tg), desired: max(tg.Count, 1)}
	g.taskRes = taskResources(tg)
	g.distinctJob = hasDistinctHosts(job.Constraints)
	g.distinctGroup = hasDistinctHosts(tg.Constraints)
	var groupCons []*structs.Constraint
	groupCons = append(groupCons, tg.Constraints...)
	for _, t := range tg.Tasks {
		g.distinctGroup = g.distinctGroup || hasDistinctHosts(t.Constraints)
		groupCons = append(groupCons, t.Constraints...)
	}
	g.props = append(slices.Clip(p.jobProps), p.newProps(groupCons, tg.Name)...)
	p.g = g
	for i := range p.states {
		p.states[i].tgCount = 0
	}
	for _, a := range p.live {
		if ns := p.stateOf(a.NodeID); ns != nil && a.TaskGroup == tg.Name {
			ns.tgCount++
		}
	}
	g.spread = p.newSpreadScorer(tg)
	g.limit = p.limit(g.spread != nil)
}

// taskResources is the CPU and memory of each task, shared by the
// group's allocations (never mutated; tasks with networks get a copy).
func taskResources(tg *structs.TaskGroup) []*structs.AllocatedTaskResources {
	out := make([]*structs.AllocatedTaskResources, len(tg.Tasks))
	for i, t := range tg.Tasks {
		tr := &structs.AllocatedTaskResources{}
		if r := t.Resources; r != nil {
			tr.Cpu.CpuShares = int64(r.CPU)
			tr.Memory.MemoryMB = int64(r.MemoryMB)
			tr.Memory.MemoryMaxMB = int64(r.MemoryMaxMB)
		}
		out[i] = tr
	}
	return out
}

// hasDistinctHosts reports whether cs holds a distinct_hosts constraint
// that is on (RTarget empty or true).
func hasDistinctHosts(cs []*structs.Constraint) bool {
	for _, c := range cs {
		if c != nil && c.Operand == structs.ConstraintDistinctHosts && c.RTarget != "false" {
			return true
		}
	}
	return false
}

// limit is how many feasible nodes are scored per placement: log2 of the
// candidates for service jobs, 2 for batch, at least 100 with spreads.
func (p *placer) limit(spread bool) int {
	k := 2
	if p.c.jobType() != structs.JobTypeBatch {
		k = max(2, bits.Len(uint(max(len(p.states)-1, 0))))
	}
	if spread {
		k = max(k, 100)
	}
	return k
}

// placeOne places one request, or records why it could not be placed.
func (p *placer) placeOne(req *placeReq) {
	g := p.g
	if g.failed != nil {
		g.failed.CoalescedFailures++
		p.c.placementFailed(g.tg.Name, g.failed)
		return
	}
	// A replaced allocation that still holds resources gives them up while
	// its replacement is searched for, so it may land on the same node.
	conditional := req.prev != nil && req.prevStop != "" && !req.prev.TerminalStatus()
	if conditional {
		p.shift(req.prev, -1)
	}
	m := &structs.AllocMetric{NodesInPool: p.inPool, NodesAvailable: p.avail}
	ns := p.selectNode(req, m)
	if ns == nil {
		if conditional {
			p.shift(req.prev, 1)
		}
		g.failed = m
		p.c.placementFailed(g.tg.Name, m)
		return
	}
	a := p.build(req, ns, m)
	p.c.plan.AppendAlloc(a)
	ns.commit(&g.ask)
	ns.jobCount++
	ns.tgCount++
	p.count(ns.node, g.tg.Name, 1)
	p.linkPrev(req, a)
}

// shift removes (sign -1) or restores (sign 1) an allocation that a
// placement replaces, so its node's resources and the spread and distinct
// counters see it gone while its replacement is placed.
func (p *placer) shift(a *structs.Allocation, sign int) {
	if ns := p.stateOf(a.NodeID); ns != nil {
		switch {
		case ns.ready:
			ns.addUsage(a.AllocatedResources, int64(sign))
			p.stops.remove(a)
		case sign < 0:
			p.stops.add(a)
		default:
			p.stops.remove(a)
		}
		ns.jobCount += int32(sign)
		if a.TaskGroup == p.g.tg.Name {
			ns.tgCount += int32(sign)
		}
	}
	if n := p.c.node(a.NodeID); n != nil {
		p.count(n, a.TaskGroup, sign)
	}
}

// count updates the spread and distinct_property counters for one
// allocation of group on node n.
func (p *placer) count(n *structs.Node, group string, sign int) {
	g := p.g
	for _, dp := range g.props {
		if dp.group == "" || dp.group == group {
			dp.add(n, sign)
		}
	}
	if g.spread != nil && group == g.tg.Name {
		g.spread.add(n, sign)
	}
}

// linkPrev stops the replaced allocation (or completes its lost stop) and
// points it at its replacement.
func (p *placer) linkPrev(req *placeReq, a *structs.Allocation) {
	switch {
	case req.prev == nil:
	case req.prevStop != "":
		appendStop(p.c.plan, req.prev, req.prevStop, "").NextAllocation = a.ID
	case req.lostStop > 0:
		if cp := p.rec.stops[req.lostStop-1].copy; cp != nil {
			cp.NextAllocation = a.ID
		}
	}
}

// build creates the allocation of a placement on ns.
func (p *placer) build(req *placeReq, ns *nodeState, m *structs.AllocMetric) *structs.Allocation {
	c, g := p.c, p.g
	name := req.name
	if name == "" {
		name = allocName(c.job.ID, g.tg.Name, req.index)
	}
	now := c.now.UnixNano()
	a := &structs.Allocation{
		ID: c.newID(), Namespace: c.namespace(), EvalID: c.eval.ID, Name: name,
		NodeID: ns.node.ID, NodeName: ns.node.Name, JobID: c.job.ID, JobVersion: c.job.Version,
		TaskGroup: g.tg.Name, AllocatedResources: p.resources(ns), Metrics: m,
		DesiredStatus: structs.AllocDesiredStatusRun, ClientStatus: structs.AllocClientStatusPending,
		CreateTime: now, ModifyTime: now,
	}
	if req.prev != nil {
		a.PreviousAllocation = req.prev.ID
		if req.reschedule {
			a.RescheduleTracker = nextTracker(reschedulePolicy(c.job, g.tg), req.prev, c.now, req.delay)
		}
	}
	return a
}

// resources assigns ports on ns and returns the allocation's resources.
func (p *placer) resources(ns *nodeState) *structs.AllocatedResources {
	g := p.g
	ar := &structs.AllocatedResources{
		Tasks:  make(map[string]*structs.AllocatedTaskResources, len(g.tg.Tasks)),
		Shared: structs.AllocatedSharedResources{DiskMB: g.ask.disk},
	}
	var taskNets [][]*structs.NetworkResource
	if g.ports != nil {
		ar.Shared.Networks, taskNets, ar.Shared.Ports = ns.assignPorts(g.ports, p.c.rng, ns.address())
	}
	for i, t := range g.tg.Tasks {
		tr := g.taskRes[i]
		if i < len(taskNets) && taskNets[i] != nil {
			cp := *tr
			cp.Networks = taskNets[i]
			tr = &cp
		}
		ar.Tasks[t.Name] = tr
	}
	return ar
}
