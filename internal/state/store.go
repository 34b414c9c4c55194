// Package state is wharf's store: jobs, job versions, evaluations,
// allocations, nodes and service registrations, with consistent
// snapshots, secondary indexes and blocking waits.
//
// Two implementations share one contract and one conformance suite
// (statetest): the etcd store (etcdstore), where etcd is the durable source
// of truth and every server keeps an in-memory index fed by an etcd watch;
// and the in-memory store (memstore), the twin used by tests that need no
// etcd. Both keep their objects in the same go-memdb index (index) and
// apply the same write rules (rules); embedetcd runs an etcd member in
// process.
//
// Job.Status is derived by the index from the job's allocations and
// evaluations (running, pending, dead), the same on every server.
//
// Key layout in etcd (every path segment is url.PathEscape'd):
//
//	/wharf/v1/jobs/<ns>/<job>                  current job
//	/wharf/v1/job_versions/<ns>/<job>/<%020d>  each stored version
//	/wharf/v1/allocs/<ns>/<job>/<alloc>        allocations, grouped by job
//	/wharf/v1/evals/<eval>                     evaluations
//	/wharf/v1/nodes/<node>                     nodes
//	/wharf/v1/services/<id>                    service registrations
//	/wharf/v1/acl_policies/<name>              ACL policies
//	/wharf/v1/acl_tokens/<accessor>            ACL tokens (secrets hashed)
//	/wharf/v1/acl_bootstrap                    set once, with the first
//	                                           management token
//	/wharf/v1/node_usage/<node>                touched whenever the node's
//	                                           set of resource-holding
//	                                           allocations changes
//	/wharf/v1/deletes/<table>                  touched by every write that
//	                                           deletes from the table
//
// A job's allocations are one range read; a node's allocations come from
// the in-memory node index, never from a scan.
//
// state must never import internal/server, internal/scheduler,
// internal/client or internal/api.
package state

import (
	"context"
	"errors"

	"github.com/wharf-project/wharf/internal/structs"
)

// Table names one kind of object; each table has its own index (the
// highest store index that changed it, a deletion included), used by
// blocking queries. In etcd it is the revision of the table's last
// change, the same on every server, before and after restarts. A job's
// derived Status changes with its allocations and evaluations and moves
// their tables' indexes, not the jobs table's.
type Table string

// Tables.
const (
	TableJobs        Table = "jobs"
	TableJobVersions Table = "job_versions"
	TableEvals       Table = "evals"
	TableAllocs      Table = "allocs"
	TableNodes       Table = "nodes"
	TableServices    Table = "services"
	TableACLPolicies Table = "acl_policies"
	TableACLTokens   Table = "acl_tokens"
)

// Errors callers branch on.
var (
	// ErrConflict: a plan or a guarded write lost a race with another write
	// and was not applied (or only partly, see ApplyPlan). Recompute and retry.
	ErrConflict = errors.New("state changed since the snapshot")
	// ErrNotFound: the object does not exist.
	ErrNotFound = errors.New("not found")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store closed")
	// ErrACLBootstrapped: the ACL system was bootstrapped already.
	ErrACLBootstrapped = errors.New("ACL bootstrap already done")
)

// Store is the contract both implementations satisfy.
type Store interface {
	// Snapshot returns a consistent, immutable view at the latest index.
	Snapshot() Snapshot
	// WaitForChange blocks until the index of any of tables exceeds min,
	// or ctx ends; it returns the tables' current (max) index either way,
	// and ctx.Err() when ctx ended first.
	WaitForChange(ctx context.Context, min uint64, tables ...Table) (uint64, error)

	// RegisterJob stores job as its next version and creates evals, in one
	// transaction. The version increases only when the job spec changed
	// (otherwise the stored job is kept and only evals are written). When
	// enforceIndex is non-nil the write happens only if the current job's
	// JobModifyIndex equals *enforceIndex (0 = job must not exist), else
	// ErrConflict. Server-set fields (Version, Status, SubmitTime, the
	// indexes) are set by the store. At most 6 versions are kept.
	RegisterJob(ctx context.Context, job *structs.Job, evals []*structs.Evaluation, enforceIndex *uint64) (uint64, error)
	// DeregisterJob marks the job stopped (a new version with Stop=true) or,
	// with purge, deletes the job and its versions; evals are written in the
	// same transaction. ErrNotFound if the job does not exist.
	DeregisterJob(ctx context.Context, namespace, jobID string, purge bool, evals []*structs.Evaluation) (uint64, error)
	// UpsertEvals creates or replaces evaluations.
	UpsertEvals(ctx context.Context, evals []*structs.Evaluation) (uint64, error)
	// DeleteEvals removes evaluations (garbage collection).
	DeleteEvals(ctx context.Context, ids []string) (uint64, error)

	// UpsertNode registers or replaces a node; CreateIndex is kept. A
	// SecretID is stored as its SecretHash only.
	UpsertNode(ctx context.Context, node *structs.Node) (uint64, error)
	// UpdateNodeStatus sets a node's Status (and StatusUpdatedAt) and writes
	// evals in the same transaction. ErrNotFound if unknown. An unchanged
	// status leaves the node as it is (only evals are written), so
	// heartbeats do not make plans for the node conflict.
	UpdateNodeStatus(ctx context.Context, nodeID, status string, evals []*structs.Evaluation) (uint64, error)
	// DeleteNode removes a node. ErrNotFound if unknown.
	DeleteNode(ctx context.Context, nodeID string) (uint64, error)

	// UpdateAllocsFromClient merges the client-owned fields (ClientStatus,
	// ClientDescription, TaskStates) of each given allocation into the
	// stored one, leaving server-owned fields untouched, and writes evals in
	// the same transaction. Unknown allocations are skipped.
	UpdateAllocsFromClient(ctx context.Context, allocs []*structs.Allocation, evals []*structs.Evaluation) (uint64, error)

	// ApplyPlan writes a plan: NodeUpdate entries change the server-owned
	// fields (DesiredStatus, DesiredDescription, and ClientStatus when set
	// to lost) of existing allocations, merged into their latest stored
	// version; NodeAllocation entries are created (or replace an existing
	// allocation of the same ID, keeping its client-owned fields). evals
	// are written with it. The write is refused with ErrConflict when,
	// after plan.SnapshotIndex, the job changed, or a node that receives
	// placements changed or its resource-holding allocations changed. A
	// large plan may be split in several transactions; if a later one is
	// refused the earlier ones stay applied, and the returned error wraps
	// ErrConflict. The index of the last applied write is returned.
	ApplyPlan(ctx context.Context, plan *structs.Plan, evals []*structs.Evaluation) (uint64, error)

	// UpsertServiceRegistrations creates or replaces service
	// registrations by ID in one transaction; CreateIndex is kept, and a
	// registration whose content is unchanged (SameContent) is not
	// rewritten, so clients may repeat themselves without writes.
	UpsertServiceRegistrations(ctx context.Context, regs []*structs.ServiceRegistration) (uint64, error)
	// UpsertServiceRegistrationsIf is UpsertServiceRegistrations guarded
	// by what a caller checked: seen maps a registration's ID to the
	// ModifyIndex it saw stored (absent or 0: the ID must not exist). If
	// any stored registration differs from that, nothing is written and
	// the error wraps ErrConflict, so a check made on a snapshot and the
	// write it allows act as one step. A batch too large for one
	// transaction is guarded part by part: earlier parts stay applied.
	UpsertServiceRegistrationsIf(ctx context.Context, regs []*structs.ServiceRegistration, seen map[string]uint64) (uint64, error)
	// DeleteServiceRegistrations removes registrations by ID in one
	// transaction; unknown IDs are skipped.
	DeleteServiceRegistrations(ctx context.Context, ids []string) (uint64, error)

	// UpsertACLPolicies creates or replaces policies by Name in one
	// transaction; CreateIndex is kept.
	UpsertACLPolicies(ctx context.Context, policies []*structs.ACLPolicy) (uint64, error)
	// DeleteACLPolicies removes policies by name; unknown names are
	// skipped.
	DeleteACLPolicies(ctx context.Context, names []string) (uint64, error)
	// UpsertACLTokens creates or replaces tokens by AccessorID in one
	// transaction; CreateIndex is kept. Tokens carry SecretHash, never
	// SecretID (a token with a SecretID is refused, so no secret is ever
	// stored in clear), and a SecretHash used by another token is refused.
	UpsertACLTokens(ctx context.Context, tokens []*structs.ACLToken) (uint64, error)
	// DeleteACLTokens removes tokens by AccessorID; unknown IDs are
	// skipped.
	DeleteACLTokens(ctx context.Context, accessorIDs []string) (uint64, error)
	// BootstrapACL stores token (the first management token) and the
	// bootstrap marker in one transaction; when the marker is already set
	// it writes nothing and returns ErrACLBootstrapped, so of two
	// concurrent bootstraps exactly one wins.
	BootstrapACL(ctx context.Context, token *structs.ACLToken) (uint64, error)
	// ResetACLBootstrap bootstraps again, as Nomad's bootstrap reset: it
	// stores token and moves the marker in one transaction when the
	// current bootstrap index is resetIndex, else returns
	// ErrACLBootstrapped. Existing tokens are kept.
	ResetACLBootstrap(ctx context.Context, token *structs.ACLToken, resetIndex uint64) (uint64, error)

	// GarbageStore holds the deletes of garbage collection (gc.go).
	GarbageStore

	// Close stops watches and releases resources.
	Close() error
}

// Snapshot is a consistent read-only view. Returned objects are shared
// with the store: callers must not modify them (Copy first).
type Snapshot interface {
	// Index is the store index the snapshot reflects.
	Index() uint64
	// TableIndex is the highest index that changed any of tables.
	TableIndex(tables ...Table) uint64

	Job(namespace, id string) *structs.Job
	// Jobs lists jobs of namespace ("*" for all), sorted by ID.
	Jobs(namespace string) []*structs.Job
	// JobsByIDPrefix lists jobs whose ID starts with prefix.
	JobsByIDPrefix(namespace, prefix string) []*structs.Job
	// JobVersions lists stored versions, newest first.
	JobVersions(namespace, id string) []*structs.Job
	JobVersion(namespace, id string, version uint64) *structs.Job

	Eval(id string) *structs.Evaluation
	Evals() []*structs.Evaluation
	EvalsByIDPrefix(prefix string) []*structs.Evaluation
	EvalsByJob(namespace, jobID string) []*structs.Evaluation
	// EvalsByStatus lists evaluations with the given status (e.g. pending,
	// blocked) for the leader's broker.
	EvalsByStatus(status string) []*structs.Evaluation

	Alloc(id string) *structs.Allocation
	Allocs() []*structs.Allocation
	AllocsByIDPrefix(prefix string) []*structs.Allocation
	AllocsByJob(namespace, jobID string) []*structs.Allocation
	AllocsByNode(nodeID string) []*structs.Allocation
	AllocsByEval(evalID string) []*structs.Allocation

	Node(id string) *structs.Node
	Nodes() []*structs.Node
	NodesByIDPrefix(prefix string) []*structs.Node
	// NodeBySecretHash finds a node by the SHA-256 of its secret.
	NodeBySecretHash(hash string) *structs.Node

	ServiceRegistration(id string) *structs.ServiceRegistration
	// ServiceRegistrations lists every registration, sorted by service
	// name then ID.
	ServiceRegistrations() []*structs.ServiceRegistration
	// ServiceRegistrationsByName lists the instances of one service of
	// namespace ("*" for all), sorted by ID.
	ServiceRegistrationsByName(namespace, name string) []*structs.ServiceRegistration
	// ServiceRegistrationsByNode and ByAlloc list a node's and an
	// allocation's registrations, sorted by ID.
	ServiceRegistrationsByNode(nodeID string) []*structs.ServiceRegistration
	ServiceRegistrationsByAlloc(allocID string) []*structs.ServiceRegistration

	ACLPolicy(name string) *structs.ACLPolicy
	// ACLPolicies lists every policy sorted by name.
	ACLPolicies() []*structs.ACLPolicy
	ACLToken(accessorID string) *structs.ACLToken
	// ACLTokenBySecretHash finds a token by the SHA-256 of its secret
	// (structs.HashSecret).
	ACLTokenBySecretHash(hash string) *structs.ACLToken
	// ACLTokens lists every token sorted by AccessorID.
	ACLTokens() []*structs.ACLToken
	// ACLBootstrapIndex is the index of the ACL bootstrap, 0 before it.
	ACLBootstrapIndex() uint64
}
