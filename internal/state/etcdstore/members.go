package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/wharf-project/wharf/internal/operator"
)

// memberTimeout bounds each etcd call of the member operations, so they
// answer without a quorum too.
const memberTimeout = time.Second

func hexID(id uint64) string { return strconv.FormatUint(id, 16) }

// EtcdLocal returns the status of the member this store talks to.
func (s *Store) EtcdLocal(ctx context.Context) (operator.EtcdMember, error) {
	eps := s.cli.Endpoints()
	if len(eps) == 0 {
		return operator.EtcdMember{}, fmt.Errorf("etcdstore: no etcd endpoint")
	}
	m, err := s.memberStatus(ctx, eps[0], 0)
	if err != nil {
		return m, err
	}
	lctx, cancel := context.WithTimeout(ctx, memberTimeout)
	defer cancel()
	if list, err := s.cli.MemberList(lctx, clientv3.WithSerializable()); err == nil {
		for _, lm := range list.Members {
			if hexID(lm.ID) == m.ID {
				m.Name, m.PeerURLs, m.ClientURLs = lm.Name, lm.PeerURLs, lm.ClientURLs
			}
		}
	}
	return m, nil
}

// memberStatus asks the member at endpoint for its status; want (when not
// 0) is the member ID expected there.
func (s *Store) memberStatus(ctx context.Context, endpoint string, want uint64) (operator.EtcdMember, error) {
	ctx, cancel := context.WithTimeout(ctx, memberTimeout)
	defer cancel()
	st, err := s.cli.Status(ctx, endpoint)
	if err != nil {
		return operator.EtcdMember{}, fmt.Errorf("etcdstore: status of %s: %w", endpoint, err)
	}
	if want != 0 && st.Header.MemberId != want {
		return operator.EtcdMember{}, fmt.Errorf("etcdstore: %s is member %s, not %s", endpoint, hexID(st.Header.MemberId), hexID(want))
	}
	return operator.EtcdMember{ID: hexID(st.Header.MemberId), Reached: true, RaftIndex: st.RaftIndex, RaftTerm: st.RaftTerm,
		LeaderID: hexID(st.Leader), DBSize: st.DbSize, Version: st.Version, Errors: st.Errors, Learner: st.IsLearner}, nil
}

// EtcdCluster lists the members (a serializable read: it answers without
// a quorum) with the status of each member this server reaches through
// its client URLs, and the cluster's alarms. Each call is bounded by a
// second.
func (s *Store) EtcdCluster(ctx context.Context) (operator.EtcdCluster, error) {
	lctx, cancel := context.WithTimeout(ctx, memberTimeout)
	resp, err := s.cli.MemberList(lctx, clientv3.WithSerializable())
	cancel()
	if err != nil {
		return operator.EtcdCluster{}, fmt.Errorf("etcdstore: list etcd members: %w", err)
	}
	out := operator.EtcdCluster{Members: make([]operator.EtcdMember, len(resp.Members))}
	if local, err := s.EtcdLocal(ctx); err == nil {
		out.LocalID, out.LeaderID = local.ID, local.LeaderID
	}
	var wg sync.WaitGroup
	var alarms []operator.EtcdAlarm
	wg.Go(func() { alarms = s.alarmList(ctx) })
	for i, m := range resp.Members {
		out.Members[i] = memberOf(m)
		wg.Go(func() {
			for _, ep := range m.ClientURLs {
				if st, err := s.memberStatus(ctx, ep, m.ID); err == nil {
					mergeStatus(&out.Members[i], st)
					return
				}
			}
		})
	}
	wg.Wait()
	out.Alarms = alarms
	if alarms == nil {
		out.Alarms = alarmsOfErrors(out.Members)
	}
	if out.LeaderID == "" || out.LeaderID == "0" {
		for _, m := range out.Members {
			if m.Reached && m.LeaderID != "0" {
				out.LeaderID = m.LeaderID
				break
			}
		}
	}
	return out, nil
}

func memberOf(m *pb.Member) operator.EtcdMember {
	return operator.EtcdMember{ID: hexID(m.ID), Name: m.Name, PeerURLs: m.PeerURLs, ClientURLs: m.ClientURLs, Learner: m.IsLearner}
}

// mergeStatus copies a member's status answer into its listing.
func mergeStatus(m *operator.EtcdMember, st operator.EtcdMember) {
	m.Reached, m.RaftIndex, m.RaftTerm, m.LeaderID = true, st.RaftIndex, st.RaftTerm, st.LeaderID
	m.DBSize, m.Version, m.Errors = st.DBSize, st.Version, st.Errors
}

// alarmList lists the cluster's alarms (a request through raft: nil
// without a quorum).
func (s *Store) alarmList(ctx context.Context) []operator.EtcdAlarm {
	actx, cancel := context.WithTimeout(ctx, memberTimeout)
	defer cancel()
	resp, err := s.cli.AlarmList(actx)
	if err != nil {
		return nil
	}
	out := []operator.EtcdAlarm{}
	for _, a := range resp.Alarms {
		out = append(out, operator.EtcdAlarm{MemberID: hexID(a.MemberID), Alarm: a.Alarm.String()})
	}
	return out
}

// alarmsOfErrors lists the alarms the members that answered report
// among their errors.
func alarmsOfErrors(members []operator.EtcdMember) []operator.EtcdAlarm {
	var out []operator.EtcdAlarm
	for _, m := range members {
		for _, e := range m.Errors {
			if strings.Contains(e, "alarm") {
				out = append(out, operator.EtcdAlarm{MemberID: m.ID, Alarm: e})
			}
		}
	}
	return out
}

// AddEtcdMember adds a voting member named name at peerURL and returns
// it and the members after the change (the new one named), ready for the
// new member's initial cluster. It refuses a name or peer URL in use and
// a change while another added member has not started.
func (s *Store) AddEtcdMember(ctx context.Context, name, peerURL string) (operator.EtcdMember, []operator.EtcdMember, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	list, err := s.cli.MemberList(ctx)
	if err != nil {
		return operator.EtcdMember{}, nil, fmt.Errorf("etcdstore: list etcd members: %w", err)
	}
	for _, m := range list.Members {
		if m.Name == "" && containsString(m.PeerURLs, peerURL) {
			// Added before and never started (the new server stopped
			// before its member came up): the same join again.
			return s.addedBefore(list.Members, m, name)
		}
	}
	for _, m := range list.Members {
		switch {
		case m.Name == name:
			return operator.EtcdMember{}, nil, fmt.Errorf("%w: %s is member %s", operator.ErrMemberExists, name, hexID(m.ID))
		case containsString(m.PeerURLs, peerURL):
			return operator.EtcdMember{}, nil, fmt.Errorf("%w: %s is the peer URL of member %s (%s)",
				operator.ErrMemberExists, peerURL, m.Name, hexID(m.ID))
		case m.Name == "":
			return operator.EtcdMember{}, nil, fmt.Errorf("%w: member %s at %v (start it, or remove it with force-leave %s)",
				operator.ErrMemberUnstarted, hexID(m.ID), m.PeerURLs, hexID(m.ID))
		}
	}
	resp, err := s.memberAdd(ctx, peerURL)
	if err != nil {
		return operator.EtcdMember{}, nil, fmt.Errorf("etcdstore: add etcd member %s at %s: %w", name, peerURL, err)
	}
	added := memberOf(resp.Member)
	added.Name = name
	var all []operator.EtcdMember
	for _, m := range resp.Members {
		om := memberOf(m)
		if m.ID == resp.Member.ID {
			om = added
		}
		all = append(all, om)
	}
	return added, all, nil
}

// memberAdd adds a voting member at peerURL. etcd takes a new voter
// only once its members have been connected for 5 s (its strict
// reconfiguration check): right after a member was removed or restarted
// it refuses with "unhealthy cluster", so that refusal is retried until
// ctx ends.
func (s *Store) memberAdd(ctx context.Context, peerURL string) (*clientv3.MemberAddResponse, error) {
	for {
		resp, err := s.cli.MemberAdd(ctx, []string{peerURL})
		if !errors.Is(err, rpctypes.ErrUnhealthy) {
			return resp, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// addedBefore answers a join for a member added but never started.
func (s *Store) addedBefore(members []*pb.Member, m *pb.Member, name string) (operator.EtcdMember, []operator.EtcdMember, error) {
	added := memberOf(m)
	added.Name = name
	var all []operator.EtcdMember
	for _, o := range members {
		if o.ID == m.ID {
			all = append(all, added)
			continue
		}
		if o.Name == "" {
			return operator.EtcdMember{}, nil, fmt.Errorf("%w: member %s at %v (start it, or remove it with force-leave %s)",
				operator.ErrMemberUnstarted, hexID(o.ID), o.PeerURLs, hexID(o.ID))
		}
		all = append(all, memberOf(o))
	}
	return added, all, nil
}

// RemoveEtcdMember removes the member with that name or hex ID and
// returns it. etcd refuses a removal that would cost the quorum of the
// members that run.
func (s *Store) RemoveEtcdMember(ctx context.Context, nameOrID string) (operator.EtcdMember, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	list, err := s.cli.MemberList(ctx)
	if err != nil {
		return operator.EtcdMember{}, fmt.Errorf("etcdstore: list etcd members: %w", err)
	}
	var found *pb.Member
	for _, m := range list.Members {
		if m.Name == nameOrID || hexID(m.ID) == strings.ToLower(nameOrID) {
			found = m
		}
	}
	if found == nil {
		return operator.EtcdMember{}, fmt.Errorf("%w: %q", operator.ErrNoMember, nameOrID)
	}
	if len(list.Members) == 1 {
		return operator.EtcdMember{}, fmt.Errorf("%w: %s", operator.ErrLastMember, found.Name)
	}
	if _, err := s.cli.MemberRemove(ctx, found.ID); err != nil {
		return operator.EtcdMember{}, fmt.Errorf("etcdstore: remove etcd member %s (%s): %w", found.Name, hexID(found.ID), err)
	}
	return memberOf(found), nil
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
