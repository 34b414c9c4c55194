package consulapi

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// TestConsulBlockingQueryRechecksItsToken: a blocking catalog query that
// started with a valid token answers 403 when its wait ends after the
// token expired, not the catalog.
func TestConsulBlockingQueryRechecksItsToken(t *testing.T) {
	f := newACLFixture(t, true)
	ctx := context.Background()
	if _, err := f.store.UpsertACLPolicies(ctx, []*structs.ACLPolicy{{Name: "cat", Rules: `service_prefix "" { policy = "read" }`}}); err != nil {
		t.Fatal(err)
	}
	secret := structs.GenerateUUID()
	exp := time.Now().Add(time.Second)
	tok := &structs.ACLToken{AccessorID: structs.GenerateUUID(), SecretHash: structs.HashSecret(secret), Name: "short",
		Type: structs.ACLClientToken, Policies: []string{"cat"}, ExpirationTime: &exp}
	if _, err := f.store.UpsertACLTokens(ctx, []*structs.ACLToken{tok}); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", f.url+"/v1/catalog/services", nil)
	req.Header.Set(ConsulTokenHeader, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	index := resp.Header.Get("X-Consul-Index")
	if resp.StatusCode != http.StatusOK || index == "" {
		t.Fatalf("first read: %d index %q", resp.StatusCode, index)
	}
	start := time.Now()
	code, body := f.do(t, "GET", "/v1/catalog/services?wait=3s&index="+index, secret, "")
	if time.Since(start) < 2*time.Second {
		t.Fatalf("the query did not block (%v): %d %s", time.Since(start), code, body)
	}
	if code != http.StatusForbidden || strings.Contains(body, "web") {
		t.Fatalf("the woken query of an expired token: %d %s, want 403", code, body)
	}
}

// TestConsulCheckUpdateCannotTouchTaskChecks: even a management token
// cannot turn a task's failing check passing through the agent check
// endpoints; only TTL checks of the agent's own registrations move.
func TestConsulCheckUpdateCannotTouchTaskChecks(t *testing.T) {
	f := newACLFixture(t, true)
	snap := f.store.Snapshot()
	task := snap.ServiceRegistration("task-web").Copy()
	task.Checks = []*structs.CheckStatus{{ID: "web-alive", Name: "web-alive", Type: "ttl", Status: structs.HealthCritical}}
	if _, err := f.store.UpsertServiceRegistrations(context.Background(), []*structs.ServiceRegistration{task}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/v1/agent/check/pass/web-alive", "/v1/agent/check/warn/web-alive"} {
		if code, body := f.do(t, "PUT", path, f.root, ""); code < 400 {
			t.Errorf("PUT %s: %d %s, want a refusal", path, code, body)
		}
	}
	if code, body := f.do(t, "PUT", "/v1/agent/check/update/web-alive", f.root, `{"Status":"passing"}`); code < 400 {
		t.Errorf("check update: %d %s, want a refusal", code, body)
	}
	if code, body := f.do(t, "PUT", "/v1/agent/service/deregister/task-web", f.root, ""); code < 400 {
		t.Errorf("deregister a task's instance: %d %s, want a refusal", code, body)
	}
	got := f.store.Snapshot().ServiceRegistration("task-web")
	if got == nil || got.Checks[0].Status != structs.HealthCritical {
		t.Fatalf("the task's check changed: %+v", got)
	}
}
