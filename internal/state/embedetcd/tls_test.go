package embedetcd

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/wharf-project/wharf/internal/tlsutil"
)

const testServerName = "server.global.wharf"

// testPKI writes a CA and certificates of each role to dir.
func testPKI(t *testing.T, dir string) map[tlsutil.Role]tlsutil.Files {
	t.Helper()
	caPEM, caKeyPEM, err := tlsutil.GenerateCA(tlsutil.CAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ca, caKey, err := tlsutil.ParseCA(caPEM, caKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(dir, "ca.pem")
	write(t, caFile, caPEM)
	out := map[tlsutil.Role]tlsutil.Files{}
	for _, role := range []tlsutil.Role{tlsutil.RoleServer, tlsutil.RoleClient, tlsutil.RoleCLI} {
		certPEM, keyPEM, err := tlsutil.GenerateCert(tlsutil.CertOptions{Role: role, CA: ca, CAKey: caKey})
		if err != nil {
			t.Fatal(err)
		}
		f := tlsutil.Files{CAFile: caFile, CertFile: filepath.Join(dir, string(role)+".pem"), KeyFile: filepath.Join(dir, string(role)+"-key.pem")}
		write(t, f.CertFile, certPEM)
		write(t, f.KeyFile, keyPEM)
		out[role] = f
	}
	return out
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// tlsClient dials endpoints presenting f's certificate (none when f has
// no certificate) and expecting servers holding testServerName.
func tlsClient(t *testing.T, endpoints []string, f tlsutil.Files) *clientv3.Client {
	t.Helper()
	var cfg *tls.Config
	if f.CAFile != "" {
		r, err := tlsutil.NewReloader(f)
		if err != nil {
			t.Fatal(err)
		}
		cfg = r.ClientConfig(tlsutil.DialOptions{Roles: []tlsutil.Role{tlsutil.RoleServer}})
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 3 * time.Second, Logger: zap.NewNop(), TLS: cfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

func TestThreeMemberClusterOverMutualTLS(t *testing.T) {
	ctx := testCtx(t)
	pki := testPKI(t, t.TempDir())
	srv := pki[tlsutil.RoleServer]
	srvs, errs := startCluster(ctx, t, 3, func(_ int, cfg *Config) {
		httpsURLs(cfg)
		cfg.TLS = &TLS{CAFile: srv.CAFile, CertFile: srv.CertFile, KeyFile: srv.KeyFile, ServerName: testServerName}
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("member %d: %v", i, err)
		}
		t.Cleanup(func() { _ = srvs[i].Close() })
	}
	if _, err := tlsClient(t, srvs[0].Endpoints(), srv).Put(ctx, "written-on", "m0"); err != nil {
		t.Fatal(err)
	}
	resp, err := tlsClient(t, srvs[2].Endpoints(), srv).Get(ctx, "written-on")
	if err != nil || len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "m0" {
		t.Fatalf("member 2 reads %v, %v", resp, err)
	}

	plain := strings.Replace(srvs[1].Endpoints()[0], "https://", "http://", 1)
	refused := []struct {
		name      string
		endpoints []string
		files     tlsutil.Files
	}{
		{"plaintext", []string{plain}, tlsutil.Files{}},
		{"no client certificate", srvs[1].Endpoints(), tlsutil.Files{CAFile: srv.CAFile}},
		{"cli certificate", srvs[1].Endpoints(), pki[tlsutil.RoleCLI]},
		{"client certificate", srvs[1].Endpoints(), pki[tlsutil.RoleClient]},
		{"another CA", srvs[1].Endpoints(), testPKI(t, t.TempDir())[tlsutil.RoleServer]},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			defer cancel()
			if _, err := tlsClient(t, tt.endpoints, tt.files).Get(cctx, "written-on"); err == nil {
				t.Fatal("read the cluster")
			}
		})
	}
}

func TestTLSPicksHTTPSURLs(t *testing.T) {
	pki := testPKI(t, t.TempDir())
	f := pki[tlsutil.RoleServer]
	srv, err := Start(testCtx(t), Config{DataDir: t.TempDir(), UnsafeNoFsync: true,
		TLS: &TLS{CAFile: f.CAFile, CertFile: f.CertFile, KeyFile: f.KeyFile, ServerName: testServerName}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !strings.HasPrefix(srv.Endpoints()[0], "https://") || !strings.HasPrefix(srv.PeerURL(), "https://") {
		t.Fatalf("urls %v %s", srv.Endpoints(), srv.PeerURL())
	}
	if _, err := tlsClient(t, srv.Endpoints(), f).Put(testCtx(t), "k", fmt.Sprint(1)); err != nil {
		t.Fatal(err)
	}
}

// TestMemberWithoutAServerCertificateCannotJoin: of 3 members, the one
// holding a client certificate is refused by its peers (they want
// testServerName) and never becomes ready, while the other two serve.
func TestMemberWithoutAServerCertificateCannotJoin(t *testing.T) {
	ctx := testCtx(t)
	pki := testPKI(t, t.TempDir())
	srvs, errs := startCluster(ctx, t, 3, func(i int, cfg *Config) {
		f := pki[tlsutil.RoleServer]
		if i == 2 {
			f = pki[tlsutil.RoleClient]
			cfg.ReadyTimeout = 8 * time.Second
		}
		httpsURLs(cfg)
		cfg.TLS = &TLS{CAFile: f.CAFile, CertFile: f.CertFile, KeyFile: f.KeyFile, ServerName: testServerName}
	})
	for i := range 2 {
		if errs[i] != nil {
			t.Fatalf("member %d: %v", i, errs[i])
		}
		t.Cleanup(func() { _ = srvs[i].Close() })
	}
	if errs[2] == nil {
		_ = srvs[2].Close()
		t.Fatal("the member holding a client certificate joined the cluster")
	}
	if !strings.Contains(errs[2].Error(), "not ready") {
		t.Fatalf("the refused member failed otherwise: %v", errs[2])
	}
	if _, err := tlsClient(t, srvs[0].Endpoints(), pki[tlsutil.RoleServer]).Put(ctx, "k", "v"); err != nil {
		t.Fatalf("the two server members lost their quorum: %v", err)
	}
}

// httpsURLs turns the http:// URLs of cluster's configuration into
// https:// ones.
func httpsURLs(cfg *Config) {
	cfg.ClientURL = strings.Replace(cfg.ClientURL, "http://", "https://", 1)
	cfg.PeerURL = strings.Replace(cfg.PeerURL, "http://", "https://", 1)
	cfg.InitialCluster = strings.ReplaceAll(cfg.InitialCluster, "http://", "https://")
}
