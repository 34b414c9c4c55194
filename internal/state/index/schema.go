package index

import (
	memdb "github.com/hashicorp/go-memdb"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// Table names used only inside the index.
const (
	tableNodeUsage   = "node_usage"
	tableNodeSummary = "node_summary"
	tableIndex       = "index"
	tableACLBoot     = "acl_bootstrap"
)

// globalKey is the row of the index table that holds the store index.
const globalKey = "_store"

// usageRow records the store index at which a node's set of
// resource-holding allocations last changed.
type usageRow struct {
	NodeID string
	Index  uint64
}

// indexRow records the highest store index that changed a table; the row
// keyed globalKey holds the store index itself.
type indexRow struct {
	Key   string
	Value uint64
}

// publicTables lists the tables blocking queries can wait on.
var publicTables = []state.Table{
	state.TableJobs, state.TableJobVersions, state.TableEvals, state.TableAllocs, state.TableNodes,
	state.TableServices, state.TableACLPolicies, state.TableACLTokens,
}

func str(field string) *memdb.StringFieldIndex { return &memdb.StringFieldIndex{Field: field} }

func compound(ixs ...memdb.Indexer) *memdb.CompoundIndex {
	return &memdb.CompoundIndex{Indexes: ixs}
}

func primary(ix memdb.Indexer) *memdb.IndexSchema {
	return &memdb.IndexSchema{Name: "id", Unique: true, Indexer: ix}
}

func secondary(name string, ix memdb.Indexer) *memdb.IndexSchema {
	return &memdb.IndexSchema{Name: name, AllowMissing: true, Indexer: ix}
}

func table(name string, ixs ...*memdb.IndexSchema) *memdb.TableSchema {
	t := &memdb.TableSchema{Name: name, Indexes: map[string]*memdb.IndexSchema{}}
	for _, ix := range ixs {
		t.Indexes[ix.Name] = ix
	}
	return t
}

// schema returns the memdb schema of the index.
func schema() *memdb.DBSchema {
	tables := []*memdb.TableSchema{
		table(string(state.TableJobs),
			primary(compound(str("Namespace"), str("ID"))),
			secondary("jobid", str("ID"))),
		table(string(state.TableJobVersions),
			primary(compound(str("Namespace"), str("ID"), &memdb.UintFieldIndex{Field: "Version"})),
			secondary("job", compound(str("Namespace"), str("ID")))),
		table(string(state.TableEvals),
			primary(str("ID")),
			secondary("job", compound(str("Namespace"), str("JobID"))),
			secondary("status", str("Status"))),
		table(string(state.TableAllocs),
			primary(fields(func(a *structs.Allocation) string { return a.ID })),
			secondary("job", fields(func(a *structs.Allocation) string { return a.Namespace },
				func(a *structs.Allocation) string { return a.JobID })),
			secondary("node", fields(func(a *structs.Allocation) string { return a.NodeID })),
			secondary("eval", fields(func(a *structs.Allocation) string { return a.EvalID }))),
		table(string(state.TableNodes), primary(str("ID")), secondary(nodeBySecret, str("SecretHash"))),
		servicesTable(),
		table(string(state.TableACLPolicies), primary(str("Name"))),
		table(string(state.TableACLTokens), primary(str("AccessorID")),
			secondary(tokenBySecret, str("SecretHash"))),
		table(tableACLBoot, primary(str("Key"))),
		table(tableNodeUsage, primary(str("NodeID"))),
		table(tableNodeSummary, primary(fields(func(s *nodeSummary) string { return s.NodeID }))),
		table(tableIndex, primary(str("Key"))),
	}
	s := &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{}}
	for _, t := range tables {
		s.Tables[t.Name] = t
	}
	return s
}
