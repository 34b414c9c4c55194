package server

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"

	"github.com/wharf-project/wharf/internal/operator"
)

// memberName is what an etcd member (and wharf server) may be called.
var memberName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// memberJoinRequest is the body of PUT /v1/operator/etcd/member.
type memberJoinRequest struct {
	Name    string
	PeerURL string
}

// MemberJoinResponse is what a new server needs to start as a member of
// the cluster: its etcd block's initial_cluster, with
// initial_cluster_state = "existing".
type MemberJoinResponse struct {
	Member         operator.EtcdMember
	Members        []operator.EtcdMember
	InitialCluster string
}

// memberJoin adds an etcd member for a server about to start (PUT
// /v1/operator/etcd/member).
func (s *Server) memberJoin(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	mo, err := s.memberOps()
	if err != nil {
		return nil, 0, err
	}
	var req memberJoinRequest
	if _, err := decodeBody(w, r, &req); err != nil {
		return nil, 0, err
	}
	if err := checkJoin(req); err != nil {
		return nil, 0, err
	}
	added, all, err := mo.AddEtcdMember(r.Context(), req.Name, req.PeerURL)
	if err != nil {
		return nil, 0, memberError(err)
	}
	s.log.Warn("etcd member added: start the new server now", "name", req.Name, "peer_url", req.PeerURL, "id", added.ID)
	return &MemberJoinResponse{Member: added, Members: all, InitialCluster: InitialCluster(all)}, 0, nil
}

// checkJoin validates a join request's fields.
func checkJoin(req memberJoinRequest) error {
	if !memberName.MatchString(req.Name) {
		return errorf(http.StatusBadRequest, "field \"Name\": %q is not a member name (letters, digits, '.', '_', '-'; at most 63)", req.Name)
	}
	u, err := url.Parse(req.PeerURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Port() == "" || u.Hostname() == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return errorf(http.StatusBadRequest, "field \"PeerURL\": %q is not an etcd peer URL like http://10.0.0.4:2380", req.PeerURL)
	}
	return nil
}

// InitialCluster renders members as etcd's initial cluster
// (name=peerURL,...).
func InitialCluster(members []operator.EtcdMember) string {
	var parts []string
	for _, m := range members {
		for _, u := range m.PeerURLs {
			parts = append(parts, m.Name+"="+u)
		}
	}
	return strings.Join(parts, ",")
}

// memberLeave removes an etcd member by name or ID (DELETE
// /v1/operator/etcd/member/{name}).
func (s *Server) memberLeave(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	m, err := s.removeMember(r, r.PathValue("name"))
	if err != nil {
		return nil, 0, err
	}
	return map[string]any{"Member": m}, 0, nil
}

// forceLeave is Nomad's PUT /v1/agent/force-leave?node=NAME: the
// server's etcd member is removed, so a failed server stops counting
// towards the quorum. NAME may carry the region (s3.global).
func (s *Server) forceLeave(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	node := r.URL.Query().Get("node")
	if node == "" {
		return nil, 0, errorf(http.StatusBadRequest, "query parameter \"node\" is required")
	}
	node = strings.TrimSuffix(node, "."+s.cfg.Region)
	if _, err := s.removeMember(r, node); err != nil {
		return nil, 0, err
	}
	return nil, 0, nil
}

func (s *Server) removeMember(r *http.Request, name string) (operator.EtcdMember, error) {
	mo, err := s.memberOps()
	if err != nil {
		return operator.EtcdMember{}, err
	}
	m, err := mo.RemoveEtcdMember(r.Context(), name)
	if err != nil {
		return operator.EtcdMember{}, memberError(err)
	}
	s.log.Warn("etcd member removed", "name", m.Name, "id", m.ID, "peer_urls", m.PeerURLs)
	return m, nil
}

// memberError gives a failed member change the status that fits.
func memberError(err error) error {
	switch {
	case errors.Is(err, operator.ErrNoMember):
		return errorf(http.StatusNotFound, "%v", err)
	case errors.Is(err, operator.ErrMemberExists), errors.Is(err, operator.ErrMemberUnstarted):
		return errorf(http.StatusConflict, "%v", err)
	case errors.Is(err, operator.ErrLastMember):
		return errorf(http.StatusBadRequest, "%v", err)
	case errors.Is(err, rpctypes.ErrMemberNotEnoughStarted), errors.Is(err, rpctypes.ErrUnhealthy):
		return errorf(http.StatusConflict, "%v: the change would cost the etcd quorum; bring members back first", err)
	}
	return fmt.Errorf("etcd member change: %w", err)
}
