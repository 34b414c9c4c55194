package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/rules"
	"github.com/wharf-project/wharf/internal/structs"
)

// aclTokenRequest is Nomad's token body; fields wharf does not support
// (Roles, Hash) are accepted empty.
type aclTokenRequest struct {
	AccessorID     string
	SecretID       string
	Name           string
	Type           string
	Policies       []string
	Roles          json.RawMessage
	Global         bool
	CreateTime     time.Time
	ExpirationTime *time.Time
	ExpirationTTL  ttl
	Hash           []byte
	CreateIndex    uint64
	ModifyIndex    uint64
}

// validate checks what both create and update accept.
func (req *aclTokenRequest) validate() error {
	switch {
	case len(req.Roles) > 0 && string(req.Roles) != "null" && string(req.Roles) != "[]":
		return errorf(http.StatusBadRequest, "field Roles: ACL roles are not supported")
	case len(req.Name) > 256:
		return errorf(http.StatusBadRequest, "field Name: longer than 256 characters")
	case len(req.Policies) > maxTokenPolicies:
		return errorf(http.StatusBadRequest, "field Policies: more than %d policies", maxTokenPolicies)
	case req.Type == structs.ACLClientToken && len(req.Policies) == 0:
		return errorf(http.StatusBadRequest, "field Policies: a client token needs at least one policy")
	case req.Type == structs.ACLManagementToken && len(req.Policies) > 0:
		return errorf(http.StatusBadRequest, "field Policies: a management token takes no policies")
	case req.Type != structs.ACLClientToken && req.Type != structs.ACLManagementToken:
		return errorf(http.StatusBadRequest, "field Type: %q is not client or management", req.Type)
	}
	return nil
}

// aclTokens answers GET /v1/acl/tokens (management only).
func (s *Server) aclTokens(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	if err := s.requireACLs(); err != nil {
		return nil, 0, err
	}
	return s.blockingRead(r, aclTables, func(snap state.Snapshot) (any, error) {
		out := []*structs.ACLTokenListStub{}
		for _, t := range snap.ACLTokens() {
			out = append(out, t.Stub())
		}
		return out, nil
	})
}

// aclTokenGet answers GET /v1/acl/token/:accessor.
func (s *Server) aclTokenGet(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	if err := s.requireACLs(); err != nil {
		return nil, 0, err
	}
	id := r.PathValue("accessor")
	return s.blockingRead(r, aclTables, func(snap state.Snapshot) (any, error) {
		t := snap.ACLToken(id)
		if t == nil {
			return nil, errorf(http.StatusNotFound, "ACL token %q not found", id)
		}
		return t, nil
	})
}

// aclTokenSelf answers GET /v1/acl/token/self: the request's own token.
func (s *Server) aclTokenSelf(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	if err := s.requireACLs(); err != nil {
		return nil, 0, err
	}
	ai := authOf(r)
	if ai.token == nil {
		return nil, 0, errorf(http.StatusNotFound, "the request carries no ACL token")
	}
	return ai.token, s.store.Snapshot().TableIndex(aclTables...), nil
}

// aclTokenCreate answers POST /v1/acl/token: a new token whose secret is
// returned only in this answer.
func (s *Server) aclTokenCreate(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	if err := s.requireACLs(); err != nil {
		return nil, 0, err
	}
	var req aclTokenRequest
	if _, err := decodeBody(w, r, &req); err != nil {
		return nil, 0, err
	}
	if req.Type == "" {
		req.Type = structs.ACLClientToken
	}
	if req.AccessorID != "" || req.SecretID != "" {
		return nil, 0, errorf(http.StatusBadRequest, "fields AccessorID and SecretID are set by the server")
	}
	if err := req.validate(); err != nil {
		return nil, 0, err
	}
	now := time.Now().UTC()
	tok := &structs.ACLToken{AccessorID: structs.GenerateUUID(), Name: req.Name, Type: req.Type,
		Policies: req.Policies, Global: req.Global, CreateTime: now, ExpirationTime: req.ExpirationTime}
	if req.ExpirationTTL.d < 0 {
		return nil, 0, errorf(http.StatusBadRequest, "field ExpirationTTL: negative")
	}
	if req.ExpirationTTL.d > 0 {
		exp := now.Add(req.ExpirationTTL.d)
		tok.ExpirationTime = &exp
	}
	if tok.ExpirationTime != nil && !tok.ExpirationTime.After(now) {
		return nil, 0, errorf(http.StatusBadRequest, "field ExpirationTime: in the past")
	}
	secret := structs.GenerateUUID()
	tok.SecretHash = structs.HashSecret(secret)
	idx, err := s.store.UpsertACLTokens(r.Context(), []*structs.ACLToken{tok})
	if err != nil {
		return nil, 0, tokenWriteError(err)
	}
	return s.tokenWithSecret(tok.AccessorID, secret), idx, nil
}

func tokenWriteError(err error) error {
	if errors.Is(err, rules.ErrInvalid) {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	return err
}

// aclTokenUpdate answers POST /v1/acl/token/:accessor: changes the name
// and policies of a token; its type, secret and expiry stay.
func (s *Server) aclTokenUpdate(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	if err := s.requireACLs(); err != nil {
		return nil, 0, err
	}
	var req aclTokenRequest
	if _, err := decodeBody(w, r, &req); err != nil {
		return nil, 0, err
	}
	id := r.PathValue("accessor")
	stored := s.store.Snapshot().ACLToken(id)
	if stored == nil {
		return nil, 0, errorf(http.StatusNotFound, "ACL token %q not found", id)
	}
	if req.AccessorID != "" && req.AccessorID != id {
		return nil, 0, errorf(http.StatusBadRequest, "field AccessorID %q differs from %q in the path", req.AccessorID, id)
	}
	if req.Type == "" {
		req.Type = stored.Type
	}
	if req.Type != stored.Type {
		return nil, 0, errorf(http.StatusBadRequest, "field Type: a token's type cannot change")
	}
	if err := req.validate(); err != nil {
		return nil, 0, err
	}
	tok := stored.Copy()
	tok.Name, tok.Policies = req.Name, req.Policies
	idx, err := s.store.UpsertACLTokens(r.Context(), []*structs.ACLToken{tok})
	if err != nil {
		return nil, 0, tokenWriteError(err)
	}
	return s.store.Snapshot().ACLToken(id), idx, nil
}

// aclTokenDelete answers DELETE /v1/acl/token/:accessor.
func (s *Server) aclTokenDelete(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	if err := s.requireACLs(); err != nil {
		return nil, 0, err
	}
	id := r.PathValue("accessor")
	if s.store.Snapshot().ACLToken(id) == nil {
		return nil, 0, errorf(http.StatusNotFound, "ACL token %q not found", id)
	}
	idx, err := s.store.DeleteACLTokens(r.Context(), []string{id})
	return nil, idx, err
}

// ttl is a duration in JSON as Nomad's client sends it: a Go duration
// string ("1h"), or nanoseconds.
type ttl struct{ d time.Duration }

func (t *ttl) UnmarshalJSON(b []byte) error {
	var n int64
	if err := json.Unmarshal(b, &n); err == nil {
		t.d = time.Duration(n)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("not a duration")
	}
	if s == "" {
		t.d = 0
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	t.d = d
	return nil
}
