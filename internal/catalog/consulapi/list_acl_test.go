package consulapi

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

// TestConsulListsShowOnlyReadableServices: the Consul-shaped lists answer
// a token only the services its service rules read, as Consul filters
// them; a token reading no service at all is refused.
func TestConsulListsShowOnlyReadableServices(t *testing.T) {
	f := newACLFixture(t, true)
	web := f.store.Snapshot().ServiceRegistration("task-web")
	db := &structs.ServiceRegistration{ID: "db-1", ServiceName: "db", Namespace: "default", NodeID: web.NodeID,
		Address: "10.0.0.2", Port: 5432, Checks: []*structs.CheckStatus{{ID: "c", Name: "c", Type: "ttl", Status: structs.HealthPassing}}}
	if _, err := f.store.UpsertServiceRegistrations(context.Background(), []*structs.ServiceRegistration{db}); err != nil {
		t.Fatal(err)
	}
	node := f.store.Snapshot().Node(web.NodeID).Name
	onlyWeb := f.token(t, `service "web" { policy = "read" }`, `node { policy = "read" }`)
	all := f.token(t, `service_prefix "" { policy = "read" }`, `node { policy = "read" }`)

	for _, tc := range []struct {
		path string
		keys func(body []byte) []string
	}{
		{"/v1/catalog/services", mapKeys},
		{"/v1/agent/services", serviceNames},
		{"/v1/catalog/node/" + node, func(b []byte) []string {
			var n struct {
				Services map[string]struct{ Service string }
			}
			_ = json.Unmarshal(b, &n)
			var out []string
			for _, s := range n.Services {
				out = append(out, s.Service)
			}
			return out
		}},
		{"/v1/agent/checks", checkServices},
		{"/v1/health/state/any", listCheckServices},
		{"/v1/health/node/" + node, listCheckServices},
	} {
		t.Run(tc.path, func(t *testing.T) {
			code, body := f.get(t, tc.path, onlyWeb)
			if code != http.StatusOK {
				t.Fatalf("%d %s", code, body)
			}
			for _, name := range tc.keys(body) {
				if name == "db" {
					t.Fatalf("a token reading only web sees db: %s", body)
				}
			}
			code, body = f.get(t, tc.path, all)
			if code != http.StatusOK {
				t.Fatalf("%d %s", code, body)
			}
			found := false
			for _, name := range tc.keys(body) {
				found = found || name == "db"
			}
			if !found {
				t.Fatalf("a token reading every service misses db: %s", body)
			}
		})
	}
	if code, body := f.get(t, "/v1/agent/service/db-1", onlyWeb); code != http.StatusForbidden {
		t.Fatalf("agent service db-1 with a token reading only web: %d %s", code, body)
	}
	if code, body := f.get(t, "/v1/catalog/services", f.token(t, `service "db" { policy = "deny" }`)); code != http.StatusForbidden {
		t.Fatalf("a token reading no service: %d %s", code, body)
	}
}

// get is do for a GET with token, returning the whole body.
func (f *aclFixture) get(t *testing.T, path, token string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", f.url+path, nil)
	req.Header.Set(ConsulTokenHeader, token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b []byte
	b, _ = readAll(resp)
	return resp.StatusCode, b
}

func readAll(resp *http.Response) ([]byte, error) {
	var out []byte
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			return out, nil
		}
	}
}

func mapKeys(b []byte) []string {
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func serviceNames(b []byte) []string {
	var m map[string]struct{ Service string }
	_ = json.Unmarshal(b, &m)
	var out []string
	for _, s := range m {
		out = append(out, s.Service)
	}
	return out
}

func checkServices(b []byte) []string {
	var m map[string]struct{ ServiceName string }
	_ = json.Unmarshal(b, &m)
	var out []string
	for _, c := range m {
		out = append(out, c.ServiceName)
	}
	return out
}

func listCheckServices(b []byte) []string {
	var l []struct{ ServiceName string }
	_ = json.Unmarshal(b, &l)
	var out []string
	for _, c := range l {
		out = append(out, c.ServiceName)
	}
	return out
}
