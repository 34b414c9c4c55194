package agent

import (
	"strings"
	"testing"
)

func TestNormalizeTLS(t *testing.T) {
	files := func(t TLSConfig) *TLSConfig {
		t.CAFile, t.CertFile, t.KeyFile = "ca.pem", "c.pem", "k.pem"
		return &t
	}
	tests := []struct {
		name string
		cfg  Config
		want string // "" for accepted
	}{
		{"off needs no files", Config{TLS: &TLSConfig{VerifyHTTPSClient: true}}, ""},
		{"http without files", Config{TLS: &TLSConfig{HTTP: true, CAFile: "ca.pem"}}, "tls.cert_file, tls.key_file: required"},
		{"rpc without ca", Config{TLS: &TLSConfig{RPC: true, CertFile: "c", KeyFile: "k"}}, "tls.ca_file: required"},
		{"rpc with files", Config{TLS: files(TLSConfig{RPC: true})}, ""},
		{"rpc with a plain etcd peer url", Config{TLS: files(TLSConfig{RPC: true}), Etcd: &EtcdConfig{PeerURL: "http://10.0.0.1:2380"}},
			`etcd.peer_url: "http://10.0.0.1:2380" must be https://`},
		{"rpc with a plain initial cluster", Config{TLS: files(TLSConfig{RPC: true}),
			Etcd: &EtcdConfig{InitialCluster: "a=https://10.0.0.1:2380,b=http://10.0.0.2:2380"}}, "etcd.initial_cluster"},
		{"plain server url for a client", Config{TLS: files(TLSConfig{HTTP: true}),
			Client: &ClientConfig{Enabled: true, Servers: []string{"10.0.0.1:4646", "http://10.0.0.2:4646"}}},
			`client.servers: "http://10.0.0.2:4646" is plain HTTP`},
		{"https and bare server urls", Config{TLS: files(TLSConfig{RPC: true}),
			Client: &ClientConfig{Enabled: true, Servers: []string{"10.0.0.1:4646", "https://10.0.0.2:4646"}}}, ""},
		{"http alone keeps etcd plain", Config{TLS: files(TLSConfig{HTTP: true}), Etcd: &EtcdConfig{PeerURL: "http://10.0.0.1:2380"}}, ""},
		{"external etcd is not the embedded member", Config{TLS: files(TLSConfig{RPC: true}),
			Etcd: &EtcdConfig{Endpoints: []string{"http://e:2379"}, PeerURL: "http://x:1"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.DataDir, tt.cfg.Server = t.TempDir(), &ServerConfig{Enabled: true}
			err := tt.cfg.Normalize()
			switch {
			case tt.want == "" && err != nil:
				t.Fatal(err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestExternalEtcdTLS(t *testing.T) {
	if cfg, err := externalEtcdTLS(&EtcdConfig{}); cfg != nil || err != nil {
		t.Fatalf("no files: %v %v", cfg, err)
	}
	if _, err := externalEtcdTLS(&EtcdConfig{CertFile: "c.pem"}); err == nil || !strings.Contains(err.Error(), "go together") {
		t.Fatalf("cert without key: %v", err)
	}
	if _, err := externalEtcdTLS(&EtcdConfig{CAFile: "/nonexistent/ca.pem"}); err == nil || !strings.Contains(err.Error(), "etcd.ca_file") {
		t.Fatalf("missing ca: %v", err)
	}
}

func TestAgentURLsUnderTLS(t *testing.T) {
	in := []string{"10.0.0.1:4646", "https://s2:4646", "http://127.0.0.1:4646"}
	plain := &Agent{cfg: &Config{}}
	if got := plain.agentURLs(in); strings.Join(got, " ") != strings.Join(in, " ") {
		t.Errorf("without tls: %v", got)
	}
	withTLS := &Agent{cfg: &Config{TLS: &TLSConfig{RPC: true}}}
	want := "https://10.0.0.1:4646 https://s2:4646 https://127.0.0.1:4646"
	if got := strings.Join(withTLS.agentURLs(in), " "); got != want {
		t.Errorf("with tls: %s, want %s", got, want)
	}
}
