package e2e

import (
	"io"
	"net/http"
	re "regexp"
	"slices"
	"strings"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"
)

// e2eReg is a registration of service name with one check of status.
func e2eReg(id, name, nodeID, addr string, port int, status string) *structs.ServiceRegistration {
	return &structs.ServiceRegistration{ID: id, ServiceName: name, NodeID: nodeID, Datacenter: "minipot",
		JobID: name, AllocID: "alloc-" + id, Tags: []string{"e2e", name}, Address: addr, Port: port,
		Checks: []*structs.CheckStatus{{ID: "alive", Name: "alive", Type: "tcp", Status: status,
			Output: "TCP connect " + addr + ": " + status}}}
}

// TestServiceCatalogThroughAPIAndCLI registers instances through wharf's
// API client, reads them with the CLI and with Nomad's official client,
// and waits on a blocking query for a health change.
func TestServiceCatalogThroughAPIAndCLI(t *testing.T) {
	a := startAgent(t, "-dev")
	c := a.client(t)
	err := c.Services().Register([]*structs.ServiceRegistration{
		e2eReg("web-1", "web", "n1", "10.1.0.1", 8080, structs.HealthPassing),
		e2eReg("web-2", "web", "n2", "10.1.0.2", 8080, structs.HealthCritical),
		e2eReg("db-1", "db", "n1", "10.1.0.3", 5432, structs.HealthPassing),
	})
	if err != nil {
		t.Fatal(err)
	}

	out, code := run(t, a.addr, "service", "list")
	if code != 0 || !matches(out, `web\s+\[e2e,web\]\s+2\s+1`) || !matches(out, `db\s+\[db,e2e\]\s+1\s+1`) {
		t.Errorf("service list: %d\n%s", code, out)
	}
	out, code = run(t, a.addr, "service", "info", "web")
	for _, w := range []string{"10.1.0.1:8080", "10.1.0.2:8080", "critical", "TCP connect 10.1.0.2: critical"} {
		if code != 0 || !strings.Contains(out, w) {
			t.Errorf("service info lacks %q: %d\n%s", w, code, out)
		}
	}

	nc, err := nomad.NewClient(&nomad.Config{Address: a.addr})
	if err != nil {
		t.Fatal(err)
	}
	list, _, err := nc.Services().List(nil)
	if err != nil || len(list) != 1 || list[0].Namespace != "default" || len(list[0].Services) != 2 ||
		list[0].Services[1].ServiceName != "web" || !slices.Equal(list[0].Services[1].Tags, []string{"e2e", "web"}) {
		t.Fatalf("nomad Services().List: %v %+v", err, list)
	}
	regs, meta, err := nc.Services().Get("web", nil)
	if err != nil || len(regs) != 2 || regs[0].ID != "web-1" || regs[0].Address != "10.1.0.1" ||
		regs[0].Port != 8080 || regs[0].NodeID != "n1" || regs[0].Namespace != "default" || meta.LastIndex == 0 {
		t.Fatalf("nomad Services().Get: %v %+v", err, regs)
	}

	waitForHealthChange(t, c)

	if _, err := nc.Services().Delete("web", "web-2", nil); err != nil {
		t.Fatalf("nomad Services().Delete: %v", err)
	}
	if _, err := nc.Services().Delete("web", "web-2", nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("deleting twice: %v, want a 404", err)
	}
	if left, _, _ := c.Services().Get("web", nil); len(left) != 1 {
		t.Errorf("after delete: %+v", left)
	}
	assertBadRegistration(t, a.addr)
}

// waitForHealthChange blocks on the passing instances of web and turns
// web-2 passing: the query must answer with both.
func waitForHealthChange(t *testing.T, c *api.Client) {
	t.Helper()
	_, meta, err := c.Services().Get("web", &api.QueryOptions{Params: map[string]string{"passing": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	type answer struct {
		regs []*structs.ServiceRegistration
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		regs, _, err := c.Services().Get("web", &api.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: 30 * time.Second,
			Params: map[string]string{"passing": "true"}})
		done <- answer{regs, err}
	}()
	if err := c.Services().Register([]*structs.ServiceRegistration{
		e2eReg("web-2", "web", "n2", "10.1.0.2", 8080, structs.HealthPassing)}); err != nil {
		t.Fatal(err)
	}
	select {
	case ans := <-done:
		if ans.err != nil || len(ans.regs) != 2 {
			t.Fatalf("blocking query: %v %+v", ans.err, ans.regs)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("blocking query did not wake on a health change")
	}
}

// assertBadRegistration sends a malformed registration: 400 naming the
// field.
func assertBadRegistration(t *testing.T, addr string) {
	t.Helper()
	body := `{"Services":[{"ID":"x","ServiceName":"ok"},{"ID":"y","Port":99999}]}`
	req, _ := http.NewRequest("PUT", addr+"/v1/services/register", strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	_, _ = io.Copy(&sb, resp.Body)
	if resp.StatusCode != 400 || !strings.Contains(sb.String(), "Services[1].ServiceName: missing") ||
		!strings.Contains(sb.String(), "Services[1].Port") {
		t.Errorf("bad registration: %d %s", resp.StatusCode, sb.String())
	}
}

// TestNodeLossRemovesServiceRegistrations stops a fake node's heartbeats:
// the leader marks it down and removes its registrations, and only its.
func TestNodeLossRemovesServiceRegistrations(t *testing.T) {
	a := startAgent(t, "-config", serverConfig(t, "200ms"))
	c := a.client(t)
	nodes := startNodes(t, c, 2)
	lost, live := nodes[0].Node.ID, nodes[1].Node.ID
	// Each instance is registered by its own node, the only one that may.
	for i, reg := range []*structs.ServiceRegistration{
		e2eReg("lost-1", "web", lost, "10.1.0.1", 80, structs.HealthPassing),
		e2eReg("live-1", "web", live, "10.1.0.2", 80, structs.HealthPassing),
	} {
		if err := nodes[i].Client().Services().Register([]*structs.ServiceRegistration{reg}); err != nil {
			t.Fatal(err)
		}
	}
	nodes[0].Stop()
	waitFor(t, 15*time.Second, "the lost node's registrations removed", func() bool {
		regs, _, err := c.Services().ByNode(lost, nil)
		return err == nil && len(regs) == 0
	})
	regs, _, err := c.Services().Get("web", nil)
	if err != nil || len(regs) != 1 || regs[0].ID != "live-1" {
		t.Errorf("instances left: %v %+v", err, regs)
	}
}

func matches(s, pattern string) bool { return re.MustCompile(pattern).MatchString(s) }
