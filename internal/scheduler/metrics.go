package scheduler

import "github.com/wharf-project/wharf/internal/structs"

// filtered records a node rejected by a constraint (or missing drivers).
func filtered(m *structs.AllocMetric, key, class string) {
	m.NodesFiltered++
	incr(&m.ConstraintFiltered, key)
	if class != "" {
		incr(&m.ClassFiltered, class)
	}
}

// exhausted records a node without room for the placement.
func exhausted(m *structs.AllocMetric, dim, class string) {
	m.NodesExhausted++
	incr(&m.DimensionExhausted, dim)
	if class != "" {
		incr(&m.ClassExhausted, class)
	}
}

// incr adds one to (*mp)[k], creating the map on first use so metrics of
// successful placements carry no empty maps.
func incr(mp *map[string]int, k string) {
	if *mp == nil {
		*mp = map[string]int{}
	}
	(*mp)[k]++
}
