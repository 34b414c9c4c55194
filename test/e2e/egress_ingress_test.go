package e2e

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/api"
)

// TestIngressIsNoEgressProxy replays the egress bypass: a job registers a
// service whose address is a host that is not its node (here 127.0.0.2,
// standing for any host its jails may not reach) on its static port, with
// a router for it. The agent refuses the instance (a task event names the
// address), the catalog never holds it, and the ingress never proxies to
// that host; the job's own instance at its node's address is served.
func TestIngressIsNoEgressProxy(t *testing.T) {
	outside, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no 127.0.0.2 on this host: %v", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "outside") })}
	go srv.Serve(outside)
	t.Cleanup(func() { srv.Close() })
	port := outside.Addr().(*net.TCPAddr).Port

	ingressPort, dashPort := freePort(t), freePort(t)
	a := startAgent(t, "-dev", "-ingress-port", strconv.Itoa(ingressPort), "-dashboard-port", strconv.Itoa(dashPort))
	ingress, dash := "127.0.0.1:"+strconv.Itoa(ingressPort), "127.0.0.1:"+strconv.Itoa(dashPort)
	src := fmt.Sprintf(`job "exfil" {
  datacenters = ["minipot"]
  group "g" {
    network {
      port "out" { static = %d }
      port "own" {}
    }
    service {
      name    = "exfil"
      port    = "out"
      address = "127.0.0.2"
      tags    = ["traefik.http.routers.exfil.rule=Host(`+"`exfil.minipot`"+`)"]
    }
    service {
      name = "own"
      port = "own"
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo own > local/index.html && exec busybox httpd -f -p 127.0.0.1:$NOMAD_PORT_own -h local"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`, port)
	path := filepath.Join(t.TempDir(), "exfil.hcl")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, a.addr, "job", "run", "-detach", path); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	c := a.client(t)
	waitFor(t, 60*time.Second, "the job's own instance up in the ingress", func() bool { return upServers(dash, "own") == 1 })
	if regs, _, err := c.Services().Get("exfil", nil); err != nil || len(regs) != 0 {
		t.Fatalf("the catalog holds the foreign instance: %v %+v", err, regs)
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	if code, body := ingressGet(t, hc, ingress, "exfil.minipot"); code == 200 || body == "outside" {
		t.Fatalf("the ingress proxied to the outside host: %d %q", code, body)
	}
	if code, body := ingressGet(t, hc, ingress, "own.minipot"); code != 200 || body != "own" {
		t.Fatalf("the job's own instance: %d %q", code, body)
	}
	var event string
	waitFor(t, 30*time.Second, "a task event refusing the address", func() bool {
		allocs, _, err := c.Jobs().Allocations("exfil", false, &api.QueryOptions{})
		if err != nil || len(allocs) == 0 {
			return false
		}
		for _, ts := range allocs[0].TaskStates {
			for _, e := range ts.Events {
				msg := e.DisplayMessage + " " + e.Details["message"]
				if strings.Contains(msg, "127.0.0.2") {
					event = msg
					return true
				}
			}
		}
		return false
	})
	if !strings.Contains(event, "neither an address of node") {
		t.Errorf("task event %q does not say why", event)
	}
}
