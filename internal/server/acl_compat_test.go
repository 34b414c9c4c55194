package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"

	"github.com/wharf-project/wharf/internal/structs"
)

// TestNomadAPIACLClients drives the ACL API with Nomad's official client:
// bootstrap, policies and tokens, then the client with SecretID set.
func TestNomadAPIACLClients(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.ACLEnabled = true })
	anon, err := nomad.NewClient(&nomad.Config{Address: ts.http.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := anon.Jobs().List(nil); err == nil || !strings.Contains(err.Error(), "wharf acl bootstrap") {
		t.Fatalf("list jobs before bootstrap: %v, want a refusal naming the bootstrap", err)
	}
	boot, _, err := anon.ACLTokens().Bootstrap(nil)
	if err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	if boot.Type != "management" || boot.SecretID == "" || boot.AccessorID == "" || boot.Name != "Bootstrap Token" {
		t.Fatalf("bootstrap token = %+v", boot)
	}
	if _, _, err := anon.ACLTokens().Bootstrap(nil); err == nil || !strings.Contains(err.Error(), "already done") {
		t.Fatalf("second bootstrap: %v, want already done", err)
	}
	root, err := nomad.NewClient(&nomad.Config{Address: ts.http.URL, SecretID: boot.SecretID})
	if err != nil {
		t.Fatal(err)
	}

	pol := &nomad.ACLPolicy{Name: "readonly", Description: "reads default",
		Rules: `namespace "default" { policy = "read" }` + "\n" + `node { policy = "read" }`}
	if _, err := root.ACLPolicies().Upsert(pol, nil); err != nil {
		t.Fatalf("policy upsert: %v", err)
	}
	bad := &nomad.ACLPolicy{Name: "bad", Rules: `namespace "default" { policy = "root" }`}
	if _, err := root.ACLPolicies().Upsert(bad, nil); err == nil || !strings.Contains(err.Error(), `policy "root"`) {
		t.Fatalf("bad policy upsert: %v", err)
	}
	list, _, err := root.ACLPolicies().List(nil)
	if err != nil || len(list) != 1 || list[0].Name != "readonly" || list[0].Description != "reads default" {
		t.Fatalf("policy list = %+v, %v", list, err)
	}
	info, _, err := root.ACLPolicies().Info("readonly", nil)
	if err != nil || info.Rules != pol.Rules || info.CreateIndex == 0 {
		t.Fatalf("policy info = %+v, %v", info, err)
	}

	tok, _, err := root.ACLTokens().Create(&nomad.ACLToken{Name: "reader", Type: "client", Policies: []string{"readonly"}}, nil)
	if err != nil {
		t.Fatalf("token create: %v", err)
	}
	if tok.SecretID == "" || tok.AccessorID == "" || tok.Name != "reader" {
		t.Fatalf("created token = %+v", tok)
	}
	tokens, _, err := root.ACLTokens().List(nil)
	if err != nil || len(tokens) != 2 {
		t.Fatalf("token list = %+v, %v", tokens, err)
	}
	got, _, err := root.ACLTokens().Info(tok.AccessorID, nil)
	if err != nil || got.Name != "reader" || got.SecretID != "" {
		t.Fatalf("token info = %+v, %v (the secret must not be shown again)", got, err)
	}

	reader, err := nomad.NewClient(&nomad.Config{Address: ts.http.URL, SecretID: tok.SecretID})
	if err != nil {
		t.Fatal(err)
	}
	self, _, err := reader.ACLTokens().Self(nil)
	if err != nil || self.AccessorID != tok.AccessorID {
		t.Fatalf("token self = %+v, %v", self, err)
	}
	if _, _, err := reader.Jobs().List(nil); err != nil {
		t.Fatalf("reader lists jobs: %v", err)
	}
	if _, _, err := reader.Nodes().List(nil); err != nil {
		t.Fatalf("reader lists nodes: %v", err)
	}
	job := testJob("web", 1, "raw_exec")
	if _, _, err := reader.Jobs().Register(&nomad.Job{ID: &job.ID, Name: &job.Name}, nil); err == nil ||
		!strings.Contains(err.Error(), `capability "submit-job"`) {
		t.Fatalf("reader registers a job: %v, want a refusal naming submit-job", err)
	}
	if _, _, err := reader.ACLTokens().List(nil); err == nil || !strings.Contains(err.Error(), "management") {
		t.Fatalf("reader lists tokens: %v", err)
	}
	if _, _, err := reader.ACLTokens().Info(tok.AccessorID, nil); err != nil {
		t.Fatalf("reader reads its own token: %v", err)
	}

	tok.Name = "renamed"
	upd, _, err := root.ACLTokens().Update(tok, nil)
	if err != nil || upd.Name != "renamed" || upd.AccessorID != tok.AccessorID {
		t.Fatalf("token update = %+v, %v", upd, err)
	}
	if _, _, err := reader.ACLTokens().Self(nil); err != nil {
		t.Fatalf("self after update: %v (the secret must survive an update)", err)
	}
	if _, err := root.ACLTokens().Delete(tok.AccessorID, nil); err != nil {
		t.Fatalf("token delete: %v", err)
	}
	if _, _, err := reader.Jobs().List(nil); err == nil || !strings.Contains(err.Error(), "token not found") {
		t.Fatalf("deleted token lists jobs: %v", err)
	}
	if _, err := root.ACLPolicies().Delete("readonly", nil); err != nil {
		t.Fatalf("policy delete: %v", err)
	}
	if _, _, err := root.ACLPolicies().Info("readonly", nil); err == nil {
		t.Fatal("deleted policy still readable")
	}
}

func TestACLSecretsStoredHashed(t *testing.T) {
	ts, root := aclServer(t)
	for _, tok := range ts.store.Snapshot().ACLTokens() {
		if tok.SecretID != "" || tok.SecretHash != structs.HashSecret(root) {
			t.Fatalf("stored token %+v holds a secret or a wrong hash", tok)
		}
	}
}

func TestACLBearerHeaderAndAnonymousPolicy(t *testing.T) {
	ts, root := aclServer(t)
	req, _ := http.NewRequest("GET", ts.http.URL+"/v1/jobs", nil)
	req.Header.Set("Authorization", "Bearer "+root)
	if code, body := ts.send(req, nil); code != http.StatusOK {
		t.Fatalf("bearer token: %d %s", code, body)
	}
	if code, _ := ts.doToken("GET", "/v1/jobs", "", nil, nil); code != http.StatusForbidden {
		t.Fatalf("anonymous without an anonymous policy: %d, want 403", code)
	}
	pol := strings.NewReader(`{"Rules": "namespace \"default\" { policy = \"read\" }"}`)
	if code, body := ts.doToken("PUT", "/v1/acl/policy/anonymous", root, pol, nil); code != http.StatusOK {
		t.Fatalf("anonymous policy: %d %s", code, body)
	}
	if code, body := ts.doToken("GET", "/v1/jobs", "", nil, nil); code != http.StatusOK {
		t.Fatalf("anonymous read with the anonymous policy: %d %s", code, body)
	}
	if code, _ := ts.doToken("PUT", "/v1/jobs", "", strings.NewReader(`{}`), nil); code != http.StatusForbidden {
		t.Fatalf("anonymous write: %d, want 403", code)
	}
	if code, _ := ts.doToken("GET", "/v1/jobs", "not-a-token", nil, nil); code != http.StatusForbidden {
		t.Fatalf("unknown token: %d, want 403", code)
	}
}

func TestACLTokenExpiry(t *testing.T) {
	ts, root := aclServer(t)
	body := strings.NewReader(`{"Type": "management", "ExpirationTTL": 1000000000}`)
	var tok structs.ACLToken
	if code, raw := ts.doToken("PUT", "/v1/acl/token", root, body, &tok); code != http.StatusOK {
		t.Fatalf("create: %d %s", code, raw)
	}
	if code, _ := ts.doToken("GET", "/v1/jobs", tok.SecretID, nil, nil); code != http.StatusOK {
		t.Fatalf("fresh token refused: %d", code)
	}
	ts.waitFor("expiry", func() bool { return time.Now().After(*tok.ExpirationTime) })
	if code, raw := ts.doToken("GET", "/v1/jobs", tok.SecretID, nil, nil); code != http.StatusForbidden || !strings.Contains(raw, "expired") {
		t.Fatalf("expired token: %d %s", code, raw)
	}
}

func TestACLEndpointsRefuseBadInput(t *testing.T) {
	ts, root := aclServer(t)
	tests := []struct {
		method, path, body, want string
	}{
		{"PUT", "/v1/acl/policy/x", `{"Name": "y", "Rules": ""}`, "differs"},
		{"PUT", "/v1/acl/policy/a%20b", `{"Rules": ""}`, "invalid name"},
		{"PUT", "/v1/acl/policy/x", `{"Rules": "namespace \"*\" { capabilities = [\"root\"] }"}`, "unknown capability"},
		{"PUT", "/v1/acl/policy/x", `{"Rules": 1}`, "field Rules"},
		{"PUT", "/v1/acl/policy/x", `{"Rules": "", "JobACL": {"JobID": "a"}}`, "JobACL"},
		{"PUT", "/v1/acl/token", `{"Type": "client"}`, "at least one policy"},
		{"PUT", "/v1/acl/token", `{"Type": "management", "Policies": ["a"]}`, "takes no policies"},
		{"PUT", "/v1/acl/token", `{"Type": "root"}`, "not client or management"},
		{"PUT", "/v1/acl/token", `{"SecretID": "chosen-by-me-123456", "Type": "management"}`, "set by the server"},
		{"PUT", "/v1/acl/token", `{"Type": "management", "ExpirationTTL": -5}`, "negative"},
		{"PUT", "/v1/acl/token", `{"Type": "management", "Roles": [{"ID": "r"}]}`, "roles are not supported"},
		{"PUT", "/v1/acl/token", ``, "empty"},
	}
	for _, tc := range tests {
		code, body := ts.doToken(tc.method, tc.path, root, strings.NewReader(tc.body), nil)
		if code != http.StatusBadRequest || !strings.Contains(body, tc.want) {
			t.Errorf("%s %s %s: %d %q, want 400 containing %q", tc.method, tc.path, tc.body, code, body, tc.want)
		}
	}
}

func TestACLEndpointsWithACLsOff(t *testing.T) {
	ts := newTestServer(t, nil)
	code, body := ts.doToken("POST", "/v1/acl/bootstrap", "", nil, nil)
	if code != http.StatusBadRequest || !strings.Contains(body, "ACL support disabled") {
		t.Fatalf("bootstrap with ACLs off: %d %s", code, body)
	}
}
