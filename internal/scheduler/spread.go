package scheduler

import (
	"github.com/wharf-project/wharf/internal/structs"
)

// spreadScorer scores nodes by how a group's allocations are spread over
// the values of node attributes (job and group spread blocks together).
type spreadScorer struct {
	specs       []*spreadSpec
	totalWeight float64
}

// spreadSpec is one spread block with its running counts.
type spreadSpec struct {
	attr   target
	weight float64
	// desired is the wanted allocation count per targeted value; nil means
	// an even spread over the values seen.
	desired map[string]float64
	// rest is the wanted count of all untargeted values together, when
	// the targets' percentages leave some.
	rest     float64
	hasRest  bool
	restUsed int
	counts   map[string]int
	// Even spread: how many values have each count, and the lowest and
	// highest count.
	freq   map[int]int
	lo, hi int
}

// newSpreadScorer builds the scorer of tg, or nil when it has no spreads.
// Counts start from the group's live allocations.
func (p *placer) newSpreadScorer(tg *structs.TaskGroup) *spreadScorer {
	blocks := append(append([]*structs.Spread(nil), p.c.job.Spreads...), tg.Spreads...)
	if len(blocks) == 0 {
		return nil
	}
	s := &spreadScorer{}
	for _, b := range blocks {
		if b == nil {
			continue
		}
		spec := newSpreadSpec(b, tg.Count)
		p.seedSpread(spec, tg.Name)
		s.specs = append(s.specs, spec)
		s.totalWeight += spec.weight
	}
	if len(s.specs) == 0 {
		return nil
	}
	return s
}

// newSpreadSpec turns a spread block into desired counts for count
// allocations.
func newSpreadSpec(b *structs.Spread, count int) *spreadSpec {
	w := float64(b.Weight)
	if w <= 0 {
		w = structs.DefaultSpreadWeight
	}
	spec := &spreadSpec{attr: parseTarget(b.Attribute), weight: w, counts: map[string]int{}}
	if len(b.SpreadTarget) == 0 {
		spec.freq = map[int]int{}
		return spec
	}
	spec.desired = map[string]float64{}
	sum := 0.0
	for _, t := range b.SpreadTarget {
		if t == nil {
			continue
		}
		spec.desired[t.Value] = float64(t.Percent) / 100 * float64(count)
		sum += float64(t.Percent)
	}
	if sum < 100 {
		spec.hasRest = true
		spec.rest = (100 - sum) / 100 * float64(count)
	}
	return spec
}

// seedSpread fills a spec's counts from the candidate nodes (even spreads
// know every value, even unused ones) and the group's live allocations.
func (p *placer) seedSpread(spec *spreadSpec, group string) {
	if spec.desired == nil {
		for i := range p.states {
			if v, ok := spec.attr.resolve(p.states[i].node); ok {
				spec.counts[v] += 0
			}
		}
	}
	for _, a := range p.live {
		if a.TaskGroup != group {
			continue
		}
		if n := p.c.node(a.NodeID); n != nil {
			if v, ok := spec.attr.resolve(n); ok {
				spec.counts[v]++
				if spec.desired != nil {
					if _, targeted := spec.desired[v]; !targeted {
						spec.restUsed++
					}
				}
			}
		}
	}
	if spec.freq != nil {
		spec.rebuildFreq()
	}
}

// rebuildFreq recomputes the count histogram and its bounds.
func (s *spreadSpec) rebuildFreq() {
	clear(s.freq)
	first := true
	for _, c := range s.counts {
		s.freq[c]++
		if first || c < s.lo {
			s.lo = c
		}
		if first || c > s.hi {
			s.hi = c
		}
		first = false
	}
}

// score is the weighted mean of the specs' scores for node n.
func (s *spreadScorer) score(n *structs.Node) float64 {
	total := 0.0
	for _, spec := range s.specs {
		total += spec.weight * spec.score(n)
	}
	return total / s.totalWeight
}

// score is in [-1, 1]: for targets, how far below its wanted count n's
// value would still be after this placement (negative once over); for an
// even spread, +1 for the least used values down to -1 for the most used;
// -1 when n lacks the attribute.
func (s *spreadSpec) score(n *structs.Node) float64 {
	v, ok := s.attr.resolve(n)
	if !ok {
		return -1
	}
	if s.desired == nil {
		if s.hi == s.lo {
			return 0
		}
		return 2*float64(s.hi-s.counts[v])/float64(s.hi-s.lo) - 1
	}
	want, targeted := s.desired[v]
	used := s.counts[v]
	if !targeted {
		if !s.hasRest {
			return -1
		}
		want, used = s.rest, s.restUsed
	}
	if want <= 0 {
		return -1
	}
	return min(max((want-float64(used+1))/want, -1), 1)
}

// add counts one allocation more (sign 1) or less (sign -1) on node n.
func (s *spreadScorer) add(n *structs.Node, sign int) {
	for _, spec := range s.specs {
		spec.add(n, sign)
	}
}

// add updates the counts for one allocation on node n.
func (s *spreadSpec) add(n *structs.Node, sign int) {
	v, ok := s.attr.resolve(n)
	if !ok {
		return
	}
	c, seen := s.counts[v]
	s.counts[v] = c + sign
	if s.desired != nil {
		if _, targeted := s.desired[v]; !targeted {
			s.restUsed += sign
		}
		return
	}
	if !seen {
		s.rebuildFreq()
		return
	}
	s.moveFreq(c, c+sign)
}

// moveFreq moves one value from count from to count to in the histogram.
func (s *spreadSpec) moveFreq(from, to int) {
	s.freq[from]--
	s.freq[to]++
	switch {
	case to > from:
		s.hi = max(s.hi, to)
		if from == s.lo && s.freq[from] == 0 {
			s.lo = to
		}
	default:
		s.lo = min(s.lo, to)
		if from == s.hi && s.freq[from] == 0 {
			s.hi = to
		}
	}
}
