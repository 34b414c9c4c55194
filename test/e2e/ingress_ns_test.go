package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// nsIngressJob writes a job in namespace ns with one busybox httpd instance
// serving body, registered as service with tags.
func nsIngressJob(t *testing.T, id, ns, service, body, tags string) string {
	t.Helper()
	src := fmt.Sprintf(`job %q {
  namespace   = %q
  datacenters = ["minipot"]
  group "web" {
    network {
      port "http" {}
    }
    service {
      name = %q
      port = "http"
      tags = [%s]
      check {
        type     = "tcp"
        interval = "1s"
        timeout  = "1s"
      }
    }
    task "httpd" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo %s > local/index.html && exec busybox httpd -f -p 127.0.0.1:$NOMAD_PORT_http -h local"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`, id, ns, service, tags, body)
	path := filepath.Join(t.TempDir(), id+".job")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestIngressNamespacesDoNotShareServices runs a service "nsweb" in the
// default namespace and one of the same name in namespace prod, whose tags
// also claim the default one's host: the default host reaches only the
// default namespace's instance, prod's is served under its own host, and
// the claiming router is reported disabled, naming the namespace that
// holds the host, in the dashboard and `wharf ingress routes`.
func TestIngressNamespacesDoNotShareServices(t *testing.T) {
	ingressPort, dashPort := freePort(t), freePort(t)
	a := startAgent(t, "-dev", "-ingress-port", strconv.Itoa(ingressPort), "-dashboard-port", strconv.Itoa(dashPort))
	ingress, dash := "127.0.0.1:"+strconv.Itoa(ingressPort), "127.0.0.1:"+strconv.Itoa(dashPort)
	jobs := []string{
		nsIngressJob(t, "nsweb", "default", "nsweb", "from-default", ""),
		nsIngressJob(t, "nsweb", "prod", "nsweb", "from-prod",
			"\"traefik.http.routers.steal.rule=Host(`nsweb.minipot`)\", \"traefik.http.routers.own.rule=Host(`nsweb.prod.minipot`)\""),
	}
	for _, job := range jobs {
		if out, code := run(t, a.addr, "job", "run", "-detach", job); code != 0 {
			t.Fatalf("job run: %d\n%s", code, out)
		}
	}
	waitFor(t, 60*time.Second, "one passing server in each namespace's service", func() bool {
		return upServers(dash, "nsweb") == 1 && upServers(dash, "nsweb.prod") == 1
	})

	c := &http.Client{Timeout: 10 * time.Second}
	for i := range 20 {
		if code, body := ingressGet(t, c, ingress, "nsweb.minipot"); code != 200 || body != "from-default" {
			t.Fatalf("request %d to nsweb.minipot: %d %q, want only the default namespace's instance", i, code, body)
		}
	}
	if code, body := ingressGet(t, c, ingress, "nsweb.prod.minipot"); code != 200 || body != "from-prod" {
		t.Fatalf("nsweb.prod.minipot: %d %q", code, body)
	}

	var steal dashRouter
	if err := dashGet(dash, "/api/http/routers/steal.prod@catalog", &steal); err != nil {
		t.Fatal(err)
	}
	if steal.Status != "disabled" || !strings.Contains(strings.Join(steal.Error, "; "), "host nsweb.minipot is held by namespace default") {
		t.Fatalf("the claiming router: %+v", steal)
	}
	out, code := run(t, a.addr, "ingress", "routes", "-dashboard", "http://"+dash)
	if code != 0 || !matches(out, "nsweb@catalog\\s+Host\\(`nsweb.minipot`\\)\\s+nsweb\\s+1/1\\s+enabled") ||
		!strings.Contains(out, "held by namespace default") {
		t.Errorf("wharf ingress routes: %d\n%s", code, out)
	}
}

// TestIngressHeldHostsResistEveryRuleShape runs a service in the default
// namespace and one in namespace prod, then, from namespace evil, routers
// of every shape that claims no exact host (PathPrefix alone, HostRegexp,
// a wildcard host) at the highest priorities, and a service registered
// through the Consul-shaped API in the default namespace as "nsweb.prod",
// the pool name of prod's nsweb, pointing at evil's instance. Each held
// host reaches only its namespace's instance; a host nobody holds reaches
// evil's routers as before.
func TestIngressHeldHostsResistEveryRuleShape(t *testing.T) {
	ingressPort, dashPort, consulPort := freePort(t), freePort(t), freePort(t)
	a := startAgent(t, "-dev", "-ingress-port", strconv.Itoa(ingressPort), "-dashboard-port", strconv.Itoa(dashPort),
		"-consul-port", strconv.Itoa(consulPort))
	ingress, dash := "127.0.0.1:"+strconv.Itoa(ingressPort), "127.0.0.1:"+strconv.Itoa(dashPort)
	jobs := []string{
		nsIngressJob(t, "nsweb", "default", "nsweb", "from-default", ""),
		nsIngressJob(t, "nsweb", "prod", "nsweb", "from-prod", ""),
		nsIngressJob(t, "grab", "evil", "grab", "from-evil", strings.Join([]string{
			"\"traefik.http.routers.all.rule=PathPrefix(`/`)\"", "\"traefik.http.routers.all.priority=100000\"",
			"\"traefik.http.routers.re.rule=HostRegexp(`^.+$`)\"", "\"traefik.http.routers.re.priority=99999\"",
			"\"traefik.http.routers.wild.rule=Host(`*.minipot`) || Host(`*.prod.minipot`)\"", "\"traefik.http.routers.wild.priority=99998\"",
		}, ", ")),
	}
	for _, job := range jobs {
		if out, code := run(t, a.addr, "job", "run", "-detach", job); code != 0 {
			t.Fatalf("job run: %d\n%s", code, out)
		}
	}
	waitFor(t, 60*time.Second, "one passing server in each namespace's service", func() bool {
		return upServers(dash, "nsweb") == 1 && upServers(dash, "nsweb.prod") == 1 && upServers(dash, "grab.evil") == 1
	})

	// evil's instance, registered again in the default namespace under the
	// name that prod's pool has.
	var evil []struct {
		Address string
		Port    int
	}
	getJSON(t, a.addr+"/v1/service/grab?namespace=evil", &evil)
	if len(evil) != 1 {
		t.Fatalf("evil's instances: %+v", evil)
	}
	body := fmt.Sprintf(`{"ID":"alias","Name":"nsweb.prod","Address":%q,"Port":%d}`, evil[0].Address, evil[0].Port)
	req, _ := http.NewRequest("PUT", fmt.Sprintf("http://127.0.0.1:%d/v1/agent/service/register", consulPort), strings.NewReader(body))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("consul register: %s", res.Status)
	}
	waitFor(t, 20*time.Second, "the alias in the catalog", func() bool {
		var regs []struct{ ID string }
		getJSON(t, a.addr+"/v1/service/nsweb.prod", &regs)
		return len(regs) == 1
	})
	// The route table follows the catalog within a blocking query: give it
	// the alias, then check every host many times.
	waitFor(t, 20*time.Second, "the route table at the alias's index", func() bool {
		var s dashService
		return dashGet(dash, "/api/http/services/nsweb.prod@catalog", &s) == nil && len(s.ServerStatus) == 1
	})

	c := &http.Client{Timeout: 10 * time.Second}
	for _, tc := range []struct{ host, want string }{
		{"nsweb.minipot", "from-default"},
		{"NSWEB.minipot:80", "from-default"},
		{"nsweb.prod.minipot", "from-prod"},
		{"nobody.minipot", "from-evil"},
		{"x.prod.minipot", "from-evil"},
	} {
		for i := range 10 {
			if code, body := ingressGet(t, c, ingress, tc.host); code != 200 || body != tc.want {
				t.Fatalf("request %d to %s: %d %q, want %q", i, tc.host, code, body, tc.want)
			}
		}
	}
}
