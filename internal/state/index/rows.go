package index

import "slices"

// Rows counts the objects of every table of the index, internal ones
// (node usage and summaries) included, by table name: what garbage
// collection must shrink.
func (s *Snapshot) Rows() map[string]int {
	out := map[string]int{}
	for _, name := range s.tableNames() {
		it, err := s.txn.Get(name, "id")
		if err != nil {
			continue
		}
		n := 0
		for raw := it.Next(); raw != nil; raw = it.Next() {
			n++
		}
		out[name] = n
	}
	return out
}

// tableNames lists the tables that hold objects (not the index table).
func (s *Snapshot) tableNames() []string {
	var names []string
	for name := range schema().Tables {
		if name != tableIndex {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}
