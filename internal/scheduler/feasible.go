package scheduler

import (
	"slices"
	"strconv"

	"github.com/wharf-project/wharf/internal/structs"
)

// Node pool names with a meaning to the scheduler.
const (
	defaultPool = "default"
	allPools    = "all"
)

// Metric keys for filtered and exhausted nodes.
const (
	keyMissingDrivers   = "missing drivers"
	keyDistinctHosts    = "distinct_hosts"
	dimCPU              = "cpu"
	dimMemory           = "memory"
	dimDisk             = "disk"
	dimPortCollision    = "network: port collision"
	dimReservedPort     = "network: reserved port collision"
	dimDynamicPortsFail = "network: dynamic port selection failed"
)

// nodeFilter admits the nodes a job may use at all: in one of its
// datacenters (globs allowed) and its node pool. Nodes it rejects are not
// counted as evaluated.
type nodeFilter struct {
	patterns []string
	anyDC    bool
	pool     string // "" admits every pool
	seen     map[string]bool
}

// newNodeFilter builds the filter of a job.
func newNodeFilter(job *structs.Job) *nodeFilter {
	f := &nodeFilter{patterns: job.Datacenters, seen: map[string]bool{}}
	f.anyDC = len(job.Datacenters) == 0 || slices.Contains(job.Datacenters, "*")
	switch job.NodePool {
	case "":
		f.pool = defaultPool
	case allPools:
	default:
		f.pool = job.NodePool
	}
	return f
}

// admits reports whether node n is ready and in scope.
func (f *nodeFilter) admits(n *structs.Node) bool {
	return n.Ready() && f.inScope(n)
}

// inScope reports whether n's datacenter and pool match, readiness aside.
func (f *nodeFilter) inScope(n *structs.Node) bool {
	return (f.pool == "" || nodePool(n) == f.pool) && f.matchDC(n.Datacenter)
}

// matchDC reports whether a datacenter matches one of the patterns.
func (f *nodeFilter) matchDC(dc string) bool {
	if f.anyDC {
		return true
	}
	ok, cached := f.seen[dc]
	if !cached {
		ok = slices.ContainsFunc(f.patterns, func(p string) bool { return globMatch(p, dc) })
		f.seen[dc] = ok
	}
	return ok
}

// globMatch matches s against a pattern where * is any run of characters
// and ? any one character.
func globMatch(p, s string) bool {
	i, j, star, mark := 0, 0, -1, 0
	for j < len(s) {
		switch {
		case i < len(p) && p[i] == '*':
			star, mark = i, j
			i++
		case i < len(p) && (p[i] == '?' || p[i] == s[j]):
			i++
			j++
		case star >= 0:
			i, mark = star+1, mark+1
			j = mark
		default:
			return false
		}
	}
	for i < len(p) && p[i] == '*' {
		i++
	}
	return i == len(p)
}

// groupChecker holds the static feasibility rules of one task group:
// drivers and the job's, group's and tasks' constraints (distinct_hosts
// and distinct_property are checked at placement, as they depend on what
// was already placed).
type groupChecker struct {
	drivers []string
	cons    []*compiledConstraint
	tg      *structs.TaskGroup
}

// newGroupChecker compiles the rules of tg in job.
func newGroupChecker(job *structs.Job, tg *structs.TaskGroup) *groupChecker {
	g := &groupChecker{tg: tg}
	g.add(job.Constraints)
	g.add(tg.Constraints)
	for _, t := range tg.Tasks {
		if t.Driver != "" && !slices.Contains(g.drivers, t.Driver) {
			g.drivers = append(g.drivers, t.Driver)
		}
		g.add(t.Constraints)
	}
	return g
}

// add compiles the static constraints of cs.
func (g *groupChecker) add(cs []*structs.Constraint) {
	for _, c := range cs {
		if c == nil || c.Operand == structs.ConstraintDistinctHosts || c.Operand == structs.ConstraintDistinctProperty {
			continue
		}
		g.cons = append(g.cons, compileConstraint(c))
	}
}

// check reports whether n passes, and if not the metric key of the first
// rule it fails.
func (g *groupChecker) check(n *structs.Node) (bool, string) {
	for _, d := range g.drivers {
		if !driverHealthy(n, d) {
			return false, keyMissingDrivers
		}
	}
	for _, c := range g.cons {
		if !c.check(n) {
			return false, c.key
		}
	}
	return hostMountsFit(n, g.tg)
}

// driverHealthy reports whether the node has the driver detected and
// healthy; nodes without driver info fall back to the "driver.NAME"
// attribute.
func driverHealthy(n *structs.Node, name string) bool {
	if info, ok := n.Drivers[name]; ok && info != nil {
		return info.Detected && info.Healthy
	}
	ok, err := strconv.ParseBool(n.Attributes["driver."+name])
	return err == nil && ok
}
