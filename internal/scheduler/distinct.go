package scheduler

import (
	"strconv"
	"strings"

	"github.com/wharf-project/wharf/internal/structs"
)

// distinctProp enforces one distinct_property constraint: at most limit
// allocations (of the job, or of one group) per value of a node property.
type distinctProp struct {
	attr   target
	limit  int
	key    string
	group  string // "" for a job-level constraint
	counts map[string]int
}

// newProps builds the distinct_property constraints among cs, counting
// the live allocations they apply to (group "" means all groups).
func (p *placer) newProps(cs []*structs.Constraint, group string) []*distinctProp {
	var out []*distinctProp
	for _, c := range cs {
		if c == nil || c.Operand != structs.ConstraintDistinctProperty {
			continue
		}
		dp := &distinctProp{attr: parseTarget(c.LTarget), limit: propLimit(c.RTarget), group: group,
			key: strings.TrimSpace(c.LTarget + " " + c.Operand + " " + c.RTarget), counts: map[string]int{}}
		for _, a := range p.live {
			if group != "" && a.TaskGroup != group {
				continue
			}
			if n := p.c.node(a.NodeID); n != nil {
				dp.add(n, 1)
			}
		}
		out = append(out, dp)
	}
	return out
}

// propLimit parses the allowed count per value; default 1.
func propLimit(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// allows reports whether one more allocation fits node n's value; nodes
// without the property are rejected.
func (dp *distinctProp) allows(n *structs.Node) bool {
	v, ok := dp.attr.resolve(n)
	return ok && dp.counts[v] < dp.limit
}

// add counts one allocation more or less on node n's value.
func (dp *distinctProp) add(n *structs.Node, sign int) {
	if v, ok := dp.attr.resolve(n); ok {
		dp.counts[v] += sign
	}
}
