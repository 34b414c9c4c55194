package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/api"
)

// TestThreeServersOverTLS runs the production shape's servers: 3 agents
// whose embedded etcd members form one cluster over https:// peer and
// client URLs (mutual TLS, role server.global.wharf), with the API on
// HTTPS requiring client certificates. They agree on one leader, a job
// written through one server is read through another, and a client agent
// that knows only a server that does not lead registers and runs the job
// (its node writes are forwarded to the leader over mutual TLS).
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
	follower := members[0]
	for _, m := range members {
		if !strings.Contains(leaders[0], ":"+m.api+`"`) {
			follower = m
			break
		}
	}
	t.Logf("DEBUG leaders %q follower %s", leaders, follower.api)
	cl := startConfigAgent(t, fmt.Sprintf(`datacenter = "minipot"
data_dir  = %q
bind_addr = "127.0.0.1"
ports { http = %d }
client {
  enabled = true
  servers = ["127.0.0.1:%s"]
  options = { "driver.raw_exec.enable" = "1" }
  pot { disabled = true }
}
%s`, t.TempDir(), freePort(t), follower.api, p.tlsBlock("client")))
	if out, code := run(t, "https://127.0.0.1:"+members[0].api, append(append([]string{"job", "run", "-detach"}, flags...), job)...); code != 0 {
		t.Fatalf("job run through s1: %d\n%s", code, out)
	}
	c, err := api.NewClient(&api.Config{Address: "https://127.0.0.1:" + members[2].api, TLSConfig: &api.TLSConfig{
		CACert: p.path("wharf-agent-ca.pem"), ClientCert: p.path("global-cli-wharf.pem"), ClientKey: p.path("global-cli-wharf-key.pem")}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "s3 to see the job s1 took running on the client", func() bool {
		return len(runningAllocs(t, c, "over-tls")) == 1
	})
	t.Logf("DEBUG client log:\n%s", cl.out)
}
