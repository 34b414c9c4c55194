package scheduler

import (
	"math"

	"github.com/wharf-project/wharf/internal/structs"
)

// maxSkip is how many feasible nodes with a negative score (penalised by
// job anti-affinity, spread or a reschedule) a placement passes over
// looking for better ones before it accepts them.
const maxSkip = 3

// negInf is the score below every score.
var negInf = math.Inf(-1)

// topScoreCount is how many of the best scores a placement's metric keeps.
const topScoreCount = 5

// selectNode walks the candidates from the cursor, scores the first
// g.limit feasible ones and returns the best, or nil when none is feasible
// (then every candidate was evaluated and m says why each was rejected).
func (p *placer) selectNode(req *placeReq, m *structs.AllocMetric) *nodeState {
	n := len(p.states)
	var top topScores
	var best, fallback *nodeState
	bestScore, fallbackScore := negInf, negInf
	found, skipped := 0, 0
	for visited := 0; visited < n && found < p.g.limit; visited++ {
		ns := &p.states[p.order[p.cursor]]
		if p.cursor++; p.cursor == n {
			p.cursor = 0
		}
		m.NodesEvaluated++
		if !p.feasible(ns, m) {
			continue
		}
		score := p.score(ns, req)
		top.add(ns.node.ID, score)
		if score < 0 && skipped < maxSkip {
			skipped++
			if score > fallbackScore {
				fallback, fallbackScore = ns, score
			}
			continue
		}
		found++
		if score > bestScore {
			best, bestScore = ns, score
		}
	}
	if fallback != nil && fallbackScore > bestScore {
		best = fallback
	}
	if best != nil {
		m.Scores = top.scores()
	}
	return best
}

// feasible checks node ns for the current group: static rules (cached per
// group), distinct constraints, then resources and ports, recording the
// reason of a rejection in m.
func (p *placer) feasible(ns *nodeState, m *structs.AllocMetric) bool {
	g := p.g
	if ns.feasGen != p.gen {
		ns.feasGen = p.gen
		ns.feasOK, ns.feasKey = g.checker.check(ns.node)
	}
	if !ns.feasOK {
		filtered(m, ns.feasKey, ns.node.NodeClass)
		return false
	}
	if key := p.distinctFails(ns); key != "" {
		filtered(m, key, ns.node.NodeClass)
		return false
	}
	if !ns.ready {
		p.portBuf = ns.init(p.c.st, &p.stops, p.portBuf)
	}
	dim := ns.fits(&g.ask)
	if dim == "" && g.ports != nil {
		dim = ns.checkPorts(g.ports)
	}
	if dim != "" {
		exhausted(m, dim, ns.node.NodeClass)
		return false
	}
	return true
}

// distinctFails returns the metric key of a distinct_hosts or
// distinct_property constraint node ns violates, or "".
func (p *placer) distinctFails(ns *nodeState) string {
	g := p.g
	if (g.distinctJob && ns.jobCount > 0) || (g.distinctGroup && ns.tgCount > 0) {
		return keyDistinctHosts
	}
	for _, dp := range g.props {
		if !dp.allows(ns.node) {
			return dp.key
		}
	}
	return ""
}

// score ranks a feasible node in [-1, 1]: the mean of bin packing, job
// anti-affinity (when the node already runs the group), spread (when the
// job has spreads) and the reschedule penalty (on the failed alloc's node).
func (p *placer) score(ns *nodeState, req *placeReq) float64 {
	g := p.g
	total, n := binPackScore(ns, &g.ask), 1.0
	if ns.tgCount > 0 {
		total += max(-float64(ns.tgCount+1)/float64(g.desired), -1)
		n++
	}
	if g.spread != nil {
		total += g.spread.score(ns.node)
		n++
	}
	if req.avoidNode != "" && req.avoidNode == ns.node.ID {
		total--
		n++
	}
	return total / n
}

// binPackScore prefers nodes that would be fuller after the placement:
// 20 - (10^freeCPU + 10^freeMem), normalised from [0, 18] to [0, 1].
func binPackScore(ns *nodeState, a *ask) float64 {
	freeCPU := freeFraction(ns.cpuUsed+a.cpu, ns.cpuCap)
	freeMem := freeFraction(ns.memUsed+a.mem, ns.memCap)
	s := 20 - math.Exp(freeCPU*math.Ln10) - math.Exp(freeMem*math.Ln10)
	return min(max(s, 0), 18) / 18
}

// freeFraction is the share of capacity left free, in [0, 1].
func freeFraction(used, capacity int64) float64 {
	if capacity <= 0 {
		return 0
	}
	return min(max(1-float64(used)/float64(capacity), 0), 1)
}

// topScores keeps the best few node scores of one placement.
type topScores struct {
	n     int
	ids   [topScoreCount]string
	score [topScoreCount]float64
}

// add offers one node's score.
func (t *topScores) add(id string, s float64) {
	i := t.n
	if i == topScoreCount {
		if s <= t.score[i-1] {
			return
		}
		i--
	} else {
		t.n++
	}
	for i > 0 && t.score[i-1] < s {
		t.ids[i], t.score[i] = t.ids[i-1], t.score[i-1]
		i--
	}
	t.ids[i], t.score[i] = id, s
}

// scores returns the kept scores by node ID.
func (t *topScores) scores() map[string]float64 {
	out := make(map[string]float64, t.n)
	for i := 0; i < t.n; i++ {
		out[t.ids[i]] = t.score[i]
	}
	return out
}
