package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-project/wharf/internal/acl"
	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/rules"
	"github.com/wharf-project/wharf/internal/structs"
)

// aclTables are the tables ACL reads block on.
var aclTables = []state.Table{state.TableACLPolicies, state.TableACLTokens}

// maxTokenPolicies bounds the policies of one token.
const maxTokenPolicies = 64

func (s *Server) requireACLs() error {
	if !s.cfg.ACLEnabled {
		return errorf(http.StatusBadRequest, "ACL support disabled (set acl { enabled = true } in the agent configuration)")
	}
	return nil
}

// aclBootstrapRequest is Nomad's bootstrap body (optional).
type aclBootstrapRequest struct {
	BootstrapSecret string
}

// aclBootstrap answers POST /v1/acl/bootstrap: the first management
// token, once per cluster. Its secret is returned only here.
func (s *Server) aclBootstrap(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	if err := s.requireACLs(); err != nil {
		return nil, 0, err
	}
	var req aclBootstrapRequest
	if err := decodeOptionalBody(w, r, &req); err != nil {
		return nil, 0, err
	}
	secret := req.BootstrapSecret
	if secret == "" {
		secret = structs.GenerateUUID()
	} else if err := validSecret(secret); err != nil {
		return nil, 0, err
	}
	tok := &structs.ACLToken{AccessorID: structs.GenerateUUID(), SecretHash: structs.HashSecret(secret),
		Name: "Bootstrap Token", Type: structs.ACLManagementToken, Global: true, CreateTime: time.Now().UTC()}
	idx, err := s.store.BootstrapACL(r.Context(), tok)
	if errors.Is(err, state.ErrACLBootstrapped) {
		idx, err = s.resetBootstrap(r, tok)
	}
	if err != nil {
		return nil, 0, err
	}
	return s.tokenWithSecret(tok.AccessorID, secret), idx, nil
}

// resetBootstrap bootstraps again when the reset file holds the current
// bootstrap index, else refuses naming that index.
func (s *Server) resetBootstrap(r *http.Request, tok *structs.ACLToken) (uint64, error) {
	cur := s.store.Snapshot().ACLBootstrapIndex()
	refused := errorf(http.StatusBadRequest, "ACL bootstrap already done (reset index: %d)", cur)
	if s.cfg.ACLBootstrapResetFile == "" {
		return 0, refused
	}
	raw, err := os.ReadFile(s.cfg.ACLBootstrapResetFile)
	if err != nil {
		return 0, refused
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(raw)), 10, 64)
	if err != nil || n != cur {
		return 0, refused
	}
	idx, err := s.store.ResetACLBootstrap(r.Context(), tok, n)
	if errors.Is(err, state.ErrACLBootstrapped) {
		return 0, refused
	}
	if err == nil {
		s.cfg.Logger.Warn("ACL bootstrap reset: a new management token was made; remove the reset file",
			"file", s.cfg.ACLBootstrapResetFile, "reset_index", n)
	}
	return idx, err
}

// validSecret refuses secrets too short or too long to be safe.
func validSecret(secret string) error {
	if len(secret) < 16 || len(secret) > 256 {
		return errorf(http.StatusBadRequest, "secret must be 16 to 256 characters")
	}
	return nil
}

// tokenWithSecret returns the stored token with its secret, the one time
// a secret is shown.
func (s *Server) tokenWithSecret(accessor, secret string) *structs.ACLToken {
	tok := s.store.Snapshot().ACLToken(accessor).Copy()
	tok.SecretID = secret
	return tok
}

// decodeOptionalBody decodes a JSON body into v when there is one.
func decodeOptionalBody(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		return err
	}
	if strings.TrimSpace(string(body)) == "" {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return jsonError(err)
	}
	return nil
}

// aclPolicies answers GET /v1/acl/policies: every policy for a
// management token, else the policies the token holds.
func (s *Server) aclPolicies(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	if err := s.requireACLs(); err != nil {
		return nil, 0, err
	}
	ai := authOf(r)
	return s.blockingRead(r, aclTables, func(snap state.Snapshot) (any, error) {
		out := []*structs.ACLPolicyListStub{}
		for _, p := range snap.ACLPolicies() {
			if ai.acl.IsManagement() || (ai.token != nil && slices.Contains(ai.token.Policies, p.Name)) {
				out = append(out, p.Stub())
			}
		}
		return out, nil
	})
}

// aclPolicyGet answers GET /v1/acl/policy/:name.
func (s *Server) aclPolicyGet(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	if err := s.requireACLs(); err != nil {
		return nil, 0, err
	}
	name := r.PathValue("name")
	return s.blockingRead(r, aclTables, func(snap state.Snapshot) (any, error) {
		p := snap.ACLPolicy(name)
		if p == nil {
			return nil, errorf(http.StatusNotFound, "ACL policy %q not found", name)
		}
		return p, nil
	})
}

// aclPolicyRequest is Nomad's policy body.
type aclPolicyRequest struct {
	Name        string
	Description string
	Rules       string
	JobACL      json.RawMessage
	CreateIndex uint64
	ModifyIndex uint64
}

// aclPolicyPut answers POST /v1/acl/policy/:name: creates or replaces a
// policy whose rules parse.
func (s *Server) aclPolicyPut(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	if err := s.requireACLs(); err != nil {
		return nil, 0, err
	}
	var req aclPolicyRequest
	if _, err := decodeBody(w, r, &req); err != nil {
		return nil, 0, err
	}
	name := r.PathValue("name")
	switch {
	case req.Name != "" && req.Name != name:
		return nil, 0, errorf(http.StatusBadRequest, "policy name %q in the body differs from %q in the path", req.Name, name)
	case len(req.JobACL) > 0 && string(req.JobACL) != "null":
		return nil, 0, errorf(http.StatusBadRequest, "field JobACL: job-scoped policies are not supported")
	case len(req.Description) > 1024:
		return nil, 0, errorf(http.StatusBadRequest, "field Description: longer than 1024 characters")
	}
	if _, err := acl.Parse(req.Rules); err != nil {
		return nil, 0, errorf(http.StatusBadRequest, "field Rules: %v", err)
	}
	idx, err := s.store.UpsertACLPolicies(r.Context(), []*structs.ACLPolicy{{Name: name, Description: req.Description, Rules: req.Rules}})
	if errors.Is(err, rules.ErrInvalid) {
		return nil, 0, errorf(http.StatusBadRequest, "%v", err)
	}
	return nil, idx, err
}

// aclPolicyDelete answers DELETE /v1/acl/policy/:name.
func (s *Server) aclPolicyDelete(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	if err := s.requireACLs(); err != nil {
		return nil, 0, err
	}
	name := r.PathValue("name")
	if s.store.Snapshot().ACLPolicy(name) == nil {
		return nil, 0, errorf(http.StatusNotFound, "ACL policy %q not found", name)
	}
	idx, err := s.store.DeleteACLPolicies(r.Context(), []string{name})
	return nil, idx, err
}
