package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestThreeServersOverTLS runs the production shape's servers: 3 agents
// whose embedded etcd members form one cluster over https:// peer and
// client URLs (mutual TLS, role server.global.wharf), with the API on
// HTTPS requiring client certificates. They agree on one leader, and a
// job written through one server is read through another.
func TestThreeServersOverTLS(t *testing.T) {
	p := makePKI(t)
	type member struct{ name, api, client, peer string }
	var members []member
	var initial []string
	for i := range 3 {
		m := member{name: fmt.Sprintf("s%d", i+1), api: fmt.Sprint(freePort(t)),
			client: fmt.Sprintf("https://127.0.0.1:%d", freePort(t)), peer: fmt.Sprintf("https://127.0.0.1:%d", freePort(t))}
		members = append(members, m)
		initial = append(initial, m.name+"="+m.peer)
	}
	var wg sync.WaitGroup
	for _, m := range members {
		wg.Go(func() {
			startConfigAgent(t, fmt.Sprintf(`datacenter = "minipot"
data_dir  = %q
bind_addr = "127.0.0.1"
ports { http = %s }
server { enabled = true }
etcd {
  name            = %q
  client_url      = %q
  peer_url        = %q
  initial_cluster = %q
}
%s`, t.TempDir(), m.api, m.name, m.client, m.peer, strings.Join(initial, ","), p.tlsBlock("server")))
		})
	}
	wg.Wait()

	cli := httpsClient(t, p.path("wharf-agent-ca.pem"), p.path("global-cli-wharf"))
	leaders := make([]string, len(members))
	for i, m := range members {
		waitFor(t, 90*time.Second, "server "+m.name+" to know the leader", func() bool {
			code, body, err := getStatus(cli, "GET", "https://127.0.0.1:"+m.api+"/v1/status/leader")
			leaders[i] = body
			return err == nil && code == 200 && strings.Trim(body, "\"\n") != ""
		})
	}
	if leaders[0] != leaders[1] || leaders[1] != leaders[2] {
		t.Fatalf("servers disagree on the leader: %q", leaders)
	}
	flags := []string{"-ca-cert", p.path("wharf-agent-ca.pem"), "-client-cert", p.path("global-cli-wharf.pem"),
		"-client-key", p.path("global-cli-wharf-key.pem")}
	job := rawJob(t, "over-tls", "m", "sleep 1000", "")
	if out, code := run(t, "https://127.0.0.1:"+members[0].api, append(append([]string{"job", "run", "-detach"}, flags...), job)...); code != 0 {
		t.Fatalf("job run through s1: %d\n%s", code, out)
	}
	waitFor(t, 20*time.Second, "s3 to read the job s1 wrote", func() bool {
		out, code := run(t, "https://127.0.0.1:"+members[2].api, append([]string{"job", "status"}, flags...)...)
		return code == 0 && strings.Contains(out, "over-tls")
	})
}
