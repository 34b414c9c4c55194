package server

import (
	"context"
	"errors"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
)

// askResult is one answer of a test's local member.
type askResult struct{ answered, leader bool }

// testMonitor is a quorum monitor of member 1 of three whose local
// answers and peer dials the test sets.
func testMonitor(ask *askResult, dialErr *error) *quorumMonitor {
	q := &quorumMonitor{dial: func(context.Context, string) error { return *dialErr }}
	q.ask = func(context.Context) (uint64, uint64, bool, bool) {
		if !ask.answered {
			return 0, 0, false, false
		}
		return 1, 5, true, ask.leader
	}
	q.members = []*pb.Member{
		{ID: 1, ClientURLs: []string{"http://10.0.0.1:2379"}},
		{ID: 2, ClientURLs: []string{"http://10.0.0.2:2379"}},
		{ID: 3, ClientURLs: []string{"http://10.0.0.3:2379"}},
	}
	q.membersAt = time.Now()
	q.self.Store(1)
	now := time.Now()
	q.state.Store(&quorumState{lastOK: now, answered: now, term: 5})
	return q
}

// TestQuorumCheckIgnoresAStarvedMember proves that a local member that
// does not answer in time (a process starved of CPU) does not make the
// server refuse writes, until it has been silent for quorumSilence, while
// a member that answers that it follows no leader does at once.
func TestQuorumCheckIgnoresAStarvedMember(t *testing.T) {
	refused := error(errors.New("connection refused"))
	for _, tc := range []struct {
		name    string
		ask     askResult
		silent  time.Duration // since the member last answered
		wantErr string
	}{
		{"follows a leader", askResult{true, true}, 0, ""},
		{"answers: no leader", askResult{true, false}, 0, "no etcd quorum: 1 of 3 members reachable"},
		{"unanswered, briefly", askResult{false, false}, 500 * time.Millisecond, ""},
		{"unanswered for long", askResult{false, false}, quorumSilence, "no etcd quorum: 1 of 3 members reachable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ask := tc.ask
			q := testMonitor(&ask, &refused)
			st := *q.state.Load()
			st.answered, st.at = time.Now().Add(-tc.silent), time.Time{}
			q.state.Store(&st)
			err := q.check(context.Background())
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("check = %v, want a quorum", err)
			case tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr):
				t.Fatalf("check = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// TestQuorumCheckKeepsALossWhileUnanswered proves that a loss found
// stays reported while the member does not answer, and ends when it
// follows a leader again.
func TestQuorumCheckKeepsALossWhileUnanswered(t *testing.T) {
	refused := error(errors.New("connection refused"))
	ask := askResult{true, false}
	q := testMonitor(&ask, &refused)
	if q.check(context.Background()) == nil {
		t.Fatal("no loss found with the member following no leader")
	}
	ask = askResult{false, false}
	q.expire()
	if q.check(context.Background()) == nil {
		t.Fatal("an unanswered question cleared the loss")
	}
	ask = askResult{true, true}
	q.expire()
	if err := q.check(context.Background()); err != nil {
		t.Fatalf("check = %v after the member follows a leader again", err)
	}
}

// TestQuorumCheckWriteTimeoutsNeedConfirming proves that peers that
// refuse connections make a write check fail at once, and peers whose
// dials time out only when the next write check finds the same.
func TestQuorumCheckWriteTimeoutsNeedConfirming(t *testing.T) {
	for _, tc := range []struct {
		name     string
		dialErr  error
		failures []bool // whether each of two checks in a row fails
	}{
		{"peers answer", nil, []bool{false, false}},
		{"peers refuse", errors.New("connection refused"), []bool{true, true}},
		{"peers time out", context.DeadlineExceeded, []bool{false, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ask := askResult{true, true}
			q := testMonitor(&ask, &tc.dialErr)
			for i, want := range tc.failures {
				q.expire()
				err := q.checkWrite(context.Background(), 5)
				if (err != nil) != want {
					t.Fatalf("check %d = %v, want failure %v", i+1, err, want)
				}
				if err != nil && err.Error() != "no etcd quorum: 1 of 3 members reachable" {
					t.Fatalf("check %d = %q", i+1, err)
				}
			}
		})
	}
}

// expire makes the next check ask again.
func (q *quorumMonitor) expire() {
	st := *q.state.Load()
	st.at = time.Time{}
	q.state.Store(&st)
}

// TestQuorumCheckWriteTrustsACommittingCluster proves that peers whose
// status questions time out (a machine short of CPU) do not make a slow
// write fail while the local member's commit index keeps moving, and do
// once it has stood still for quorumProgress.
func TestQuorumCheckWriteTrustsACommittingCluster(t *testing.T) {
	timeout := error(context.DeadlineExceeded)
	ask := askResult{true, true}
	q := testMonitor(&ask, &timeout)
	for i := range 4 {
		q.sawCommit(uint64(100+i), time.Now())
		q.expire()
		if err := q.checkWrite(context.Background(), 5); err != nil {
			t.Fatalf("check %d = %v while the cluster commits", i+1, err)
		}
	}
	// The index stands still: the checks count the peers again.
	q.sawCommit(103, time.Now())
	q.progressAt.Store(time.Now().Add(-quorumProgress).UnixNano())
	var err error
	for range 2 {
		q.expire()
		err = q.checkWrite(context.Background(), 5)
	}
	if err == nil || err.Error() != "no etcd quorum: 1 of 3 members reachable" {
		t.Fatalf("check = %v with the commit index still for %v", err, quorumProgress)
	}
}
