package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// TestServiceHijackRefused replays the attack of the security issue on a
// dev agent (ACLs off): a task's service is taken over through wharf's
// register endpoint (overwrite and join) and through the Consul-shaped
// agent API. Every attempt is refused with 403, and the ingress keeps
// sending the traffic to the task only.
func TestServiceHijackRefused(t *testing.T) {
	ingressPort, dashPort, consulPort := freePort(t), freePort(t), freePort(t)
	a := startAgent(t, "-dev", "-ingress-port", strconv.Itoa(ingressPort), "-dashboard-port", strconv.Itoa(dashPort),
		"-consul-port", strconv.Itoa(consulPort))
	ingress, dash := "127.0.0.1:"+strconv.Itoa(ingressPort), "127.0.0.1:"+strconv.Itoa(dashPort)
	if out, code := run(t, a.addr, "job", "run", "-detach", ingressJob(t, "victim", "victim", 1, "")); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	waitFor(t, 60*time.Second, "the victim's instance up in the ingress", func() bool { return upServers(dash, "victim") == 1 })

	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "evil") }))
	defer evil.Close()
	evilPort, _ := strconv.Atoi(evil.URL[strings.LastIndex(evil.URL, ":")+1:])
	c := a.client(t)
	regs, _, err := c.Services().Get("victim", nil)
	if err != nil || len(regs) != 1 {
		t.Fatalf("victim instances: %v %+v", err, regs)
	}
	over := regs[0].Copy()
	over.Address, over.Port = "127.0.0.1", evilPort
	join := &structs.ServiceRegistration{ID: "evil-1", ServiceName: "victim", Address: "127.0.0.1", Port: evilPort}
	for name, reg := range map[string]*structs.ServiceRegistration{"overwrite": over, "join": join} {
		if err := c.Services().Register([]*structs.ServiceRegistration{reg}); err == nil || !strings.Contains(err.Error(), "403") {
			t.Errorf("%s through /v1/services/register: %v, want 403", name, err)
		}
	}
	body := fmt.Sprintf(`{"ID": "evil-2", "Name": "victim", "Address": "127.0.0.1", "Port": %d}`, evilPort)
	req, _ := http.NewRequest("PUT", fmt.Sprintf("http://127.0.0.1:%d/v1/agent/service/register", consulPort), strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("join through the Consul-shaped agent API: %d, want 403", resp.StatusCode)
	}

	hc := &http.Client{Timeout: 10 * time.Second}
	for range 10 {
		if code, got := ingressGet(t, hc, ingress, "victim.minipot"); code != 200 || !strings.HasPrefix(got, "hello from ") {
			t.Fatalf("the ingress answered %d %q: the service was taken over", code, got)
		}
	}
	if n := upServers(dash, "victim"); n != 1 {
		t.Fatalf("the ingress pool has %d servers, want the task's only", n)
	}
}
