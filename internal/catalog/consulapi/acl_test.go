package consulapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	consul "github.com/hashicorp/consul/api"

	"github.com/wharf-project/wharf/internal/acl"
	"github.com/wharf-project/wharf/internal/state/memstore"
	"github.com/wharf-project/wharf/internal/state/statetest"
	"github.com/wharf-project/wharf/internal/structs"
)

// aclFixture is the API with ACLs on over a store with one bootstrap
// management token (root) and a job "web" whose allocation runs on node-1
// and registered service "web".
type aclFixture struct {
	store *memstore.Store
	srv   *Server
	url   string
	root  string
}

func newACLFixture(t *testing.T, aclsOn bool) *aclFixture {
	t.Helper()
	ctx := context.Background()
	st := memstore.New()
	t.Cleanup(func() { _ = st.Close() })
	node := statetest.NewNode("n1")
	if _, err := st.UpsertNode(ctx, node); err != nil {
		t.Fatal(err)
	}
	job := statetest.NewJob("web")
	if _, err := st.RegisterJob(ctx, job, nil, nil); err != nil {
		t.Fatal(err)
	}
	plan := structs.NewPlan(statetest.NewEval(job), st.Snapshot().Index())
	alloc := statetest.NewAlloc(st.Snapshot().Job("default", "web"), node, plan.EvalID, 0)
	plan.AppendAlloc(alloc)
	if _, err := st.ApplyPlan(ctx, plan, nil); err != nil {
		t.Fatal(err)
	}
	task := &structs.ServiceRegistration{ID: "task-web", ServiceName: "web", Namespace: "default",
		NodeID: node.ID, AllocID: alloc.ID, Address: "10.0.0.1", Port: 80}
	if _, err := st.UpsertServiceRegistrations(ctx, []*structs.ServiceRegistration{task}); err != nil {
		t.Fatal(err)
	}
	root := structs.GenerateUUID()
	tok := statetest.NewACLToken("root", root)
	tok.Type = structs.ACLManagementToken
	if _, err := st.BootstrapACL(ctx, tok); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Store: st, Datacenter: "dc1", LocalNodeID: func() string { return node.ID }, ACLEnabled: aclsOn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &aclFixture{store: st, srv: srv, url: hs.URL, root: root}
}

// token stores one policy per rules and a token holding them all.
func (f *aclFixture) token(t *testing.T, rules ...string) string {
	t.Helper()
	var names []string
	for _, r := range rules {
		if _, err := acl.Parse(r); err != nil {
			t.Fatal(err)
		}
		name := "p" + structs.GenerateUUID()[:8]
		if _, err := f.store.UpsertACLPolicies(context.Background(), []*structs.ACLPolicy{{Name: name, Rules: r}}); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	secret := structs.GenerateUUID()
	if _, err := f.store.UpsertACLTokens(context.Background(), []*structs.ACLToken{statetest.NewACLToken("t", secret, names...)}); err != nil {
		t.Fatal(err)
	}
	return secret
}

func (f *aclFixture) do(t *testing.T, method, path, token, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, f.url+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set(ConsulTokenHeader, token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	n, _ := resp.Body.Read(buf)
	b.Write(buf[:n])
	return resp.StatusCode, b.String()
}

var pathValue = regexp.MustCompile(`\{[a-z]+\}`)

// TestEveryConsulRouteIsChecked goes over the API's whole route table:
// without a token, with a token holding every other grant, and with the
// route's own.
func TestEveryConsulRouteIsChecked(t *testing.T) {
	f := newACLFixture(t, true)
	var grants []string
	for _, rt := range f.srv.routeTable {
		if rt.perm.grant != "" {
			grants = append(grants, rt.perm.grant)
		}
	}
	for _, rt := range f.srv.routeTable {
		t.Run(rt.pattern, func(t *testing.T) {
			method, path, _ := strings.Cut(rt.pattern, " ")
			path = pathValue.ReplaceAllString(path, "zzz")
			if rt.perm.open {
				if code, body := f.do(t, method, path, "", ""); code == http.StatusForbidden {
					t.Fatalf("open route refused: %s", body)
				}
				return
			}
			if code, _ := f.do(t, method, path, "", ""); code != http.StatusForbidden {
				t.Fatalf("without a token: %d, want 403", code)
			}
			req := httptest.NewRequest(method, path, nil)
			req.SetPathValue("name", "zzz")
			var others []string
			for _, g := range grants {
				p, _ := acl.Parse(g)
				if !rt.perm.allow(acl.New([]*acl.Policy{p}), req) {
					others = append(others, g)
				}
			}
			if len(others) > 0 {
				if code, body := f.do(t, method, path, f.token(t, others...), ""); code != http.StatusForbidden || !strings.Contains(body, rt.perm.what(req)) {
					t.Fatalf("with a token lacking it: %d %q", code, body)
				}
			}
			if code, body := f.do(t, method, path, f.token(t, rt.perm.grant), ""); code == http.StatusForbidden {
				t.Fatalf("with the right token: %d %q", code, body)
			}
		})
	}
}

// TestConsulAgentCannotJoinTaskService: the Consul-shaped agent API does
// not let an outside registration join a service of tasks, unless (with
// ACLs on) a token has service write on its name.
func TestConsulAgentCannotJoinTaskService(t *testing.T) {
	join := `{"ID": "evil", "Name": "web", "Address": "6.6.6.6", "Port": 80}`
	off := newACLFixture(t, false)
	if code, body := off.do(t, "PUT", "/v1/agent/service/register", "", join); code != http.StatusForbidden || !strings.Contains(body, "belongs to wharf tasks") {
		t.Fatalf("ACLs off, join a task's service: %d %q", code, body)
	}
	if code, body := off.do(t, "PUT", "/v1/agent/service/register", "", `{"ID": "pg", "Name": "postgres", "Port": 5432}`); code != http.StatusOK {
		t.Fatalf("ACLs off, another name: %d %q", code, body)
	}

	on := newACLFixture(t, true)
	other := on.token(t, `service "db" { policy = "write" }`)
	if code, body := on.do(t, "PUT", "/v1/agent/service/register", other, join); code != http.StatusForbidden || !strings.Contains(body, `service "web"`) {
		t.Fatalf("ACLs on, token for another service: %d %q", code, body)
	}
	web := on.token(t, `service "web" { policy = "write" }`)
	if n := len(on.store.Snapshot().ServiceRegistrationsByName("default", "web")); n != 1 {
		t.Fatalf("refused joins left %d instances", n)
	}
	cfg := consul.DefaultConfig()
	cfg.Address, cfg.Token = strings.TrimPrefix(on.url, "http://"), web
	c, err := consul.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Agent().ServiceRegister(&consul.AgentServiceRegistration{ID: "ext-web", Name: "web", Address: "10.9.9.9", Port: 80}); err != nil {
		t.Fatalf("consul client with service web write: %v", err)
	}
	for _, how := range []func(*http.Request){
		func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+web) },
		func(r *http.Request) { q := r.URL.Query(); q.Set("token", web); r.URL.RawQuery = q.Encode() },
	} {
		req, _ := http.NewRequest("GET", on.url+"/v1/health/service/web", nil)
		how(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("token by %v: %d", req.Header, resp.StatusCode)
		}
	}
	if code, _ := on.do(t, "GET", "/v1/health/service/web", "wrong-token", ""); code != http.StatusForbidden {
		t.Fatalf("unknown token: %d, want 403", code)
	}
}
