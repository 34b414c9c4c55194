package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/wharf-project/wharf/internal/state/embedetcd"
	"github.com/wharf-project/wharf/internal/tlsutil"
)

// TestServerOnExternalEtcdOverTLSWithAUser runs an etcd that serves only
// mutual TLS and has authentication on, and a wharf server that reaches it
// with the etcd block's ca_file, cert_file, key_file, username and
// password: the right password works, a wrong one stops the start with a
// clear error.
func TestServerOnExternalEtcdOverTLSWithAUser(t *testing.T) {
	p := makePKI(t)
	srv := tlsutil.Files{CAFile: p.path("wharf-agent-ca.pem"), CertFile: p.path("global-server-wharf.pem"),
		KeyFile: p.path("global-server-wharf-key.pem")}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ext, err := embedetcd.Start(ctx, embedetcd.Config{DataDir: t.TempDir(), UnsafeNoFsync: true,
		TLS: &embedetcd.TLS{CAFile: srv.CAFile, CertFile: srv.CertFile, KeyFile: srv.KeyFile}})
	if err != nil {
		t.Fatal(err)
	}
	defer ext.Close()
	enableEtcdAuth(ctx, t, ext.Endpoints(), srv, "s3cret")

	agentCfg := func(port int, password string) string {
		return fmt.Sprintf(`datacenter = "minipot"
bind_addr = "127.0.0.1"
ports { http = %d }
server { enabled = true }
etcd {
  endpoints = [%q]
  ca_file   = %q
  cert_file = %q
  key_file  = %q
  username  = "root"
  password  = %q
}
`, port, ext.Endpoints()[0], srv.CAFile, srv.CertFile, srv.KeyFile, password)
	}
	bad := startConfigAgent(t, agentCfg(freePort(t), "wrong"))
	select {
	case <-bad.done:
		if !strings.Contains(bad.out.String(), "authentication failed") {
			t.Errorf("a wrong password stopped the agent without saying why:\n%s", bad.out)
		}
	case <-time.After(45 * time.Second):
		t.Fatalf("an agent with a wrong etcd password kept running:\n%s", bad.out)
	}

	port := freePort(t)
	good := startConfigAgent(t, agentCfg(port, "s3cret"))
	url := fmt.Sprintf("http://127.0.0.1:%d/v1/status/leader", port)
	waitFor(t, 60*time.Second, "the server to elect itself over TLS etcd", func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	if _, code := run(t, "http://127.0.0.1:"+fmt.Sprint(port), "job", "status"); code != 0 {
		t.Fatalf("job status against the server on TLS etcd: %d\n%s", code, good.out)
	}
}

// enableEtcdAuth adds user root with password and turns authentication
// on.
func enableEtcdAuth(ctx context.Context, t *testing.T, endpoints []string, f tlsutil.Files, password string) {
	t.Helper()
	r, err := tlsutil.NewReloader(f)
	if err != nil {
		t.Fatal(err)
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop(),
		TLS: r.ClientConfig(tlsutil.DialOptions{})})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if _, err := cli.UserAdd(ctx, "root", password); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.UserGrantRole(ctx, "root", "root"); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.AuthEnable(ctx); err != nil {
		t.Fatal(err)
	}
}
