package operator

import "errors"

// EtcdMember is one member of the etcd cluster and what a server learned
// of it.
type EtcdMember struct {
	// ID is the member's ID in hex, as etcdctl prints it.
	ID         string
	Name       string
	PeerURLs   []string
	ClientURLs []string
	Learner    bool
	// Reached says the member answered a status request; the fields
	// below are its answer.
	Reached   bool
	RaftIndex uint64
	RaftTerm  uint64
	// LeaderID is the etcd leader as this member sees it.
	LeaderID string
	DBSize   int64
	Version  string
	// Errors are the member's own errors, its alarms among them.
	Errors []string
}

// EtcdAlarm is an alarm a member raised (NOSPACE, CORRUPT).
type EtcdAlarm struct {
	MemberID string
	Alarm    string
}

// EtcdCluster is the etcd cluster as one server sees it.
type EtcdCluster struct {
	Members []EtcdMember
	// LocalID is the member this server talks to; LeaderID the etcd
	// leader (from the first member that answered).
	LocalID  string
	LeaderID string
	Alarms   []EtcdAlarm
}

// Errors of member changes.
var (
	// ErrMemberExists: a member with that name or peer URL exists.
	ErrMemberExists = errors.New("etcd member exists")
	// ErrNoMember: no member has that name or ID.
	ErrNoMember = errors.New("no such etcd member")
	// ErrMemberUnstarted: a member was added and never started, so the
	// cluster cannot take another change safely.
	ErrMemberUnstarted = errors.New("an added etcd member has not started")
	// ErrLastMember: removing the member would leave no cluster.
	ErrLastMember = errors.New("the last etcd member cannot be removed")
)
