package api

import (
	"net/http"

	"github.com/wharf-project/wharf/internal/structs"
)

// ACL is the access control part of the API: Nomad's /v1/acl endpoints.
type ACL struct{ c *Client }

// ACL returns the ACL endpoints.
func (c *Client) ACL() *ACL { return &ACL{c: c} }

// Bootstrap makes the first management token (POST /v1/acl/bootstrap);
// its SecretID is shown only in this answer.
func (a *ACL) Bootstrap() (*structs.ACLToken, error) {
	var out structs.ACLToken
	err := a.c.write(http.MethodPost, "/v1/acl/bootstrap", nil, &out, nil, nil)
	return &out, err
}

// Policies lists the policies (GET /v1/acl/policies).
func (a *ACL) Policies(q *QueryOptions) ([]*structs.ACLPolicyListStub, *QueryMeta, error) {
	var out []*structs.ACLPolicyListStub
	meta, err := a.c.query("/v1/acl/policies", &out, q)
	return out, meta, err
}

// Policy reads one policy (GET /v1/acl/policy/:name).
func (a *ACL) Policy(name string, q *QueryOptions) (*structs.ACLPolicy, *QueryMeta, error) {
	var out structs.ACLPolicy
	meta, err := a.c.query("/v1/acl/policy/"+escape(name), &out, q)
	return &out, meta, err
}

// UpsertPolicy creates or replaces a policy (POST /v1/acl/policy/:name).
func (a *ACL) UpsertPolicy(p *structs.ACLPolicy) error {
	return a.c.write(http.MethodPost, "/v1/acl/policy/"+escape(p.Name), p, nil, nil, nil)
}

// DeletePolicy removes a policy (DELETE /v1/acl/policy/:name).
func (a *ACL) DeletePolicy(name string) error {
	return a.c.write(http.MethodDelete, "/v1/acl/policy/"+escape(name), nil, nil, nil, nil)
}

// Tokens lists the tokens, without secrets (GET /v1/acl/tokens).
func (a *ACL) Tokens(q *QueryOptions) ([]*structs.ACLTokenListStub, *QueryMeta, error) {
	var out []*structs.ACLTokenListStub
	meta, err := a.c.query("/v1/acl/tokens", &out, q)
	return out, meta, err
}

// Token reads one token by accessor (GET /v1/acl/token/:accessor).
func (a *ACL) Token(accessor string, q *QueryOptions) (*structs.ACLToken, *QueryMeta, error) {
	var out structs.ACLToken
	meta, err := a.c.query("/v1/acl/token/"+escape(accessor), &out, q)
	return &out, meta, err
}

// Self reads the token the client sends (GET /v1/acl/token/self).
func (a *ACL) Self() (*structs.ACLToken, error) {
	var out structs.ACLToken
	_, err := a.c.query("/v1/acl/token/self", &out, nil)
	return &out, err
}

// CreateToken makes a token (POST /v1/acl/token); its SecretID is shown
// only in this answer.
func (a *ACL) CreateToken(t *structs.ACLToken) (*structs.ACLToken, error) {
	var out structs.ACLToken
	err := a.c.write(http.MethodPost, "/v1/acl/token", t, &out, nil, nil)
	return &out, err
}

// UpdateToken changes a token's name and policies (POST
// /v1/acl/token/:accessor).
func (a *ACL) UpdateToken(t *structs.ACLToken) (*structs.ACLToken, error) {
	var out structs.ACLToken
	err := a.c.write(http.MethodPost, "/v1/acl/token/"+escape(t.AccessorID), t, &out, nil, nil)
	return &out, err
}

// DeleteToken removes a token (DELETE /v1/acl/token/:accessor).
func (a *ACL) DeleteToken(accessor string) error {
	return a.c.write(http.MethodDelete, "/v1/acl/token/"+escape(accessor), nil, nil, nil, nil)
}
