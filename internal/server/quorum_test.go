package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/memstore"
	"github.com/wharf-project/wharf/internal/structs"
)

func TestQuorumErrorNamesTheCause(t *testing.T) {
	for _, tc := range []struct {
		reach, members int
		want           string
	}{
		{1, 3, "no etcd quorum: 1 of 3 members reachable"},
		{2, 5, "no etcd quorum: 2 of 5 members reachable"},
		{3, 3, "no etcd quorum: the members are electing a leader (3 of 3 members reachable)"},
	} {
		if got := (&QuorumError{Reachable: tc.reach, Members: tc.members}).Error(); got != tc.want {
			t.Errorf("QuorumError{%d, %d} = %q, want %q", tc.reach, tc.members, got, tc.want)
		}
	}
}

// TestQuorumReachableCountsVotingMembers counts the local member, and the
// voting members that answer a status request in time: one whose request
// hangs (a frozen process) does not count.
func TestQuorumReachableCountsVotingMembers(t *testing.T) {
	q := &quorumMonitor{dial: func(ctx context.Context, u string) error {
		switch u {
		case "http://10.0.0.2:2379", "http://10.0.0.9:2379":
			return nil
		case "http://10.0.0.5:2379":
			<-ctx.Done() // frozen: accepts, never answers
			return ctx.Err()
		}
		return errors.New("connection refused")
	}}
	q.members = []*pb.Member{
		{ID: 1, ClientURLs: []string{"http://10.0.0.1:2379"}},
		{ID: 2, ClientURLs: []string{"http://10.0.0.2:2379"}},
		{ID: 3, ClientURLs: []string{"http://10.0.0.3:2379"}},
		{ID: 5, ClientURLs: []string{"http://10.0.0.5:2379"}},
		{ID: 9, ClientURLs: []string{"http://10.0.0.9:2379"}, IsLearner: true},
		{ID: 4, ClientURLs: []string{"not a url"}},
	}
	q.membersAt = time.Now()
	start := time.Now()
	reach, total := q.reachable(context.Background(), 1)
	if reach != 2 || total != 5 {
		t.Fatalf("reachable = %d of %d, want 2 of 5", reach, total)
	}
	if took := time.Since(start); took > 2*quorumAskTimeout {
		t.Fatalf("counting took %s with a frozen member, want about %s", took, quorumAskTimeout)
	}
}

// quorumElector leads alone and reports the quorum the test sets.
type quorumElector struct {
	LocalElector
	lostErr  atomic.Pointer[error]
	checkErr atomic.Pointer[error]
	checks   atomic.Int32
}

func (e *quorumElector) quorumLost() error {
	if p := e.lostErr.Load(); p != nil {
		return *p
	}
	return nil
}

func (e *quorumElector) raftTerm() uint64 { return 7 }

func (e *quorumElector) checkQuorum(_ context.Context, startTerm uint64) error {
	if startTerm != 7 {
		return errors.New("the guard lost the start term")
	}
	e.checks.Add(1)
	if p := e.checkErr.Load(); p != nil {
		return *p
	}
	return nil
}

func (e *quorumElector) lastContact() time.Duration {
	if e.quorumLost() != nil {
		return 1500 * time.Millisecond
	}
	return 0
}

// slowStore holds every job registration until release is closed or its
// context ends.
type slowStore struct {
	*memstore.Store
	release chan struct{}
}

func (s *slowStore) RegisterJob(ctx context.Context, job *structs.Job, evals []*structs.Evaluation, enforce *uint64) (uint64, error) {
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-s.release:
	}
	return s.Store.RegisterJob(ctx, job, evals, enforce)
}

var _ state.Store = (*slowStore)(nil)

func TestQuorumGuard(t *testing.T) {
	lost := error(&QuorumError{Reachable: 1, Members: 3})
	for _, tc := range []struct {
		name      string
		known     error // the monitor's last finding
		found     error // what a check made during the write finds
		releaseIn time.Duration
		code      int
		body      string
		within    time.Duration
	}{
		{"known lost: refused at once", lost, nil, time.Hour, 503, "no etcd quorum: 1 of 3 members reachable", 500 * time.Millisecond},
		{"lost during the write: cancelled", nil, lost, time.Hour, 503, "no etcd quorum: 1 of 3 members reachable", 2 * time.Second},
		{"etcd leader changed during the write: cancelled", nil, ErrLeaderChanged, time.Hour, 503, "may or may not have been applied", 2 * time.Second},
		{"slow with a quorum: waited for", nil, nil, 1500 * time.Millisecond, 200, "EvalID", 5 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			el := &quorumElector{}
			if tc.known != nil {
				el.lostErr.Store(&tc.known)
			}
			if tc.found != nil {
				el.checkErr.Store(&tc.found)
			}
			st := &slowStore{Store: memstore.New(), release: make(chan struct{})}
			time.AfterFunc(tc.releaseIn, func() { close(st.release) })
			ts := newTestServer(t, func(c *Config) { c.Store, c.Elector = st, el })
			start := time.Now()
			code, body := ts.do("PUT", "/v1/jobs", map[string]any{"Job": testJob("web", 1, "fake")}, nil)
			took := time.Since(start)
			if code != tc.code || !strings.Contains(body, tc.body) || took > tc.within {
				t.Fatalf("PUT /v1/jobs: %d %q after %s, want %d with %q within %s", code, body, took, tc.code, tc.body, tc.within)
			}
			// Reads never wait and say how stale they may be.
			req, _ := http.NewRequest("GET", ts.http.URL+"/v1/jobs", nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			wantContact := "0"
			if tc.known != nil {
				wantContact = "1500"
			}
			if resp.StatusCode != 200 || resp.Header.Get("X-Nomad-LastContact") != wantContact {
				t.Fatalf("GET /v1/jobs: %s, LastContact %q, want 200 and %s", resp.Status, resp.Header.Get("X-Nomad-LastContact"), wantContact)
			}
		})
	}
}
