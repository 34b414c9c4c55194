package server

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wharf-project/wharf/internal/operator"
)

// memberOps is a store that reports and changes the etcd cluster (the
// etcd store).
type memberOps interface {
	EtcdLocal(ctx context.Context) (operator.EtcdMember, error)
	EtcdCluster(ctx context.Context) (operator.EtcdCluster, error)
	AddEtcdMember(ctx context.Context, name, peerURL string) (operator.EtcdMember, []operator.EtcdMember, error)
	RemoveEtcdMember(ctx context.Context, nameOrID string) (operator.EtcdMember, error)
}

// membersTimeout bounds the whole members answer, and peerAskTimeout
// the question to each other server, so the answer comes within 2 s even
// when servers are down or etcd lost its quorum.
const (
	membersTimeout = 1800 * time.Millisecond
	peerAskTimeout = 1500 * time.Millisecond
)

// agentMember is one member as Nomad's /v1/agent/members shapes it
// (nomad/api.AgentMember).
type agentMember struct {
	Name        string
	Addr        string
	Port        uint16
	Tags        map[string]string
	Status      string
	ProtocolMin uint8
	ProtocolMax uint8
	ProtocolCur uint8
	DelegateMin uint8
	DelegateMax uint8
	DelegateCur uint8
}

// serverMembers is Nomad's answer (nomad/api.ServerMembers), plus the
// etcd cluster's alarms.
type serverMembers struct {
	ServerName   string
	ServerRegion string
	ServerDC     string
	Members      []*agentMember
	// EtcdAlarms are the alarms etcd members raised (NOSPACE: the
	// database is at its quota; writes fail until it is compacted,
	// defragmented and the alarm disarmed).
	EtcdAlarms []operator.EtcdAlarm
}

func (s *Server) memberOps() (memberOps, error) {
	mo, ok := s.store.(memberOps)
	if !ok {
		return nil, errorf(http.StatusNotImplemented, "this server's store has no etcd members")
	}
	return mo, nil
}

// selfAddr is the API address this server advertises.
func (s *Server) selfAddr() string {
	switch e := s.cfg.Elector.(type) {
	case *EtcdElector:
		return e.Addr
	case *LocalElector:
		return e.addr()
	case interface{ selfAddr() string }:
		return e.selfAddr()
	}
	return ""
}

// agentMembers answers GET /v1/agent/members: one member per etcd
// member, with the wharf server on it (its API address, whether it
// leads) and the member's health, raft index and alarms. With ?local=true
// it answers for this server alone (what other servers ask).
func (s *Server) agentMembers(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	mo, err := s.memberOps()
	if err != nil {
		return nil, 0, err
	}
	ctx, cancel := context.WithTimeout(r.Context(), membersTimeout)
	defer cancel()
	if local, _ := boolParam(r, "local"); local {
		m, err := s.localMember(ctx, mo)
		if err != nil {
			return nil, 0, errorf(http.StatusServiceUnavailable, "this server's etcd member does not answer: %v", err)
		}
		return &serverMembers{ServerName: m.Name, ServerRegion: s.cfg.Region, Members: []*agentMember{m}}, 0, nil
	}
	var cl operator.EtcdCluster
	var clErr error
	var known map[string]*agentMember
	var leader string
	var wg sync.WaitGroup
	wg.Go(func() { cl, clErr = mo.EtcdCluster(ctx) })
	wg.Go(func() { known = s.askServers(ctx, r, mo) })
	wg.Go(func() { leader = s.leaderWithin(ctx) })
	wg.Wait()
	if clErr != nil {
		return nil, 0, errorf(http.StatusServiceUnavailable, "cannot list etcd members: %v", clErr)
	}
	out := &serverMembers{ServerRegion: s.cfg.Region, EtcdAlarms: cl.Alarms}
	for _, m := range cl.Members {
		am := s.memberRow(m, cl, known[m.ID], leader)
		if m.ID == cl.LocalID {
			out.ServerName = am.Name
		}
		out.Members = append(out.Members, am)
	}
	return out, 0, nil
}

// leaderWithin is the leader's address, "" when it is not known within
// a second (no etcd quorum).
func (s *Server) leaderWithin(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	leader, _ := s.cfg.Elector.Leader(ctx)
	return leader
}

// localMember is this server's own row, from its own member's status.
func (s *Server) localMember(ctx context.Context, mo memberOps) (*agentMember, error) {
	st, err := mo.EtcdLocal(ctx)
	if err != nil {
		return nil, err
	}
	leader := s.leaderWithin(ctx)
	cl := operator.EtcdCluster{LocalID: st.ID, LeaderID: st.LeaderID}
	return s.memberRow(st, cl, &agentMember{Tags: map[string]string{"http_addr": s.selfAddr()}}, leader), nil
}

// askServers asks every other live server for its own row, at once, and
// returns the rows by etcd member ID (this server's own included).
func (s *Server) askServers(ctx context.Context, r *http.Request, mo memberOps) map[string]*agentMember {
	out := map[string]*agentMember{}
	var mu sync.Mutex
	add := func(m *agentMember) {
		mu.Lock()
		defer mu.Unlock()
		if id := m.Tags["etcd_id"]; id != "" {
			out[id] = m
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if m, err := s.localMember(ctx, mo); err == nil {
			add(m)
		}
	})
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	peers, _ := s.cfg.Elector.Peers(pctx)
	cancel()
	for _, p := range peers {
		if p == s.selfAddr() {
			continue
		}
		wg.Go(func() {
			if m := s.askServer(ctx, r, p); m != nil {
				add(m)
			}
		})
	}
	wg.Wait()
	return out
}

// askServer asks the server at addr for its own row, with the caller's
// token.
func (s *Server) askServer(ctx context.Context, r *http.Request, addr string) *agentMember {
	target, rt := s.leaderTarget(addr)
	target.Path, target.RawQuery = "/v1/agent/members", "local=true"
	ctx, cancel := context.WithTimeout(ctx, peerAskTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
	if err != nil {
		return nil
	}
	req.Header.Set(TokenHeader, r.Header.Get(TokenHeader))
	hc := &http.Client{Transport: rt}
	resp, err := hc.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var sm serverMembers
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&sm) != nil ||
		len(sm.Members) != 1 {
		return nil
	}
	return sm.Members[0]
}

// memberRow builds the row of etcd member m; srv is what the wharf
// server on it said of itself (nil when none answered).
func (s *Server) memberRow(m operator.EtcdMember, cl operator.EtcdCluster, srv *agentMember, leaderAddr string) *agentMember {
	name := m.Name
	if name == "" {
		name = "(unstarted " + m.ID + ")"
	}
	tags := map[string]string{"role": "nomad", "region": s.cfg.Region, "etcd_id": m.ID,
		"etcd_peer_url": strings.Join(m.PeerURLs, ","), "etcd_leader": strconv.FormatBool(m.ID == cl.LeaderID),
		"leader": "false", "etcd_health": "unreachable", "raft_index": "", "raft_term": ""}
	if srv != nil {
		for _, k := range []string{"http_addr", "raft_index", "raft_term", "etcd_health", "db_size", "etcd_errors"} {
			if v, ok := srv.Tags[k]; ok {
				tags[k] = v
			}
		}
	}
	if m.Reached {
		tags["etcd_health"] = "healthy"
		tags["raft_index"], tags["raft_term"] = strconv.FormatUint(m.RaftIndex, 10), strconv.FormatUint(m.RaftTerm, 10)
		tags["db_size"] = strconv.FormatInt(m.DBSize, 10)
		if len(m.Errors) > 0 {
			tags["etcd_health"], tags["etcd_errors"] = "errors", strings.Join(m.Errors, "; ")
		}
	}
	switch {
	case m.Name == "" && !m.Reached:
		tags["etcd_health"] = "unstarted"
	case m.Learner:
		tags["etcd_health"] = "learner"
	}
	var alarms []string
	for _, a := range cl.Alarms {
		if a.MemberID == m.ID {
			alarms = append(alarms, a.Alarm)
		}
	}
	tags["alarms"] = strings.Join(alarms, ",")
	row := &agentMember{Name: name + "." + s.cfg.Region, Tags: tags, Status: "failed",
		ProtocolMin: 1, ProtocolMax: 5, ProtocolCur: 2, DelegateMin: 2, DelegateMax: 5, DelegateCur: 4}
	if tags["etcd_health"] == "healthy" || tags["etcd_health"] == "errors" || tags["etcd_health"] == "learner" {
		row.Status = "alive"
	}
	if h := tags["http_addr"]; h != "" {
		tags["leader"] = strconv.FormatBool(h == leaderAddr)
	}
	row.Addr, row.Port = memberAddr(tags["http_addr"], m.PeerURLs)
	return row
}

// memberAddr is the server's API address when known, else its etcd peer
// address.
func memberAddr(httpAddr string, peerURLs []string) (string, uint16) {
	if host, port, err := net.SplitHostPort(httpAddr); err == nil {
		p, _ := strconv.ParseUint(port, 10, 16)
		return host, uint16(p)
	}
	for _, pu := range peerURLs {
		if u, err := url.Parse(pu); err == nil {
			p, _ := strconv.ParseUint(u.Port(), 10, 16)
			return u.Hostname(), uint16(p)
		}
	}
	return "", 0
}
