package agent

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnusableDataDirIsNamed: a data dir that cannot be created fails the
// start with an error naming it, and nothing is left running.
func TestUnusableDataDirIsNamed(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := &Config{Dev: true, DataDir: filepath.Join(file, "data")}
	if err := cfg.Normalize(); err != nil {
		t.Fatal(err)
	}
	_, err := Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), "data_dir "+cfg.DataDir) {
		t.Fatalf("err = %v, want one naming the data dir", err)
	}
}

func TestNormalizeRefusesBadConfigs(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no role", Config{DataDir: "/x"}, "no role enabled"},
		{"client without servers", Config{DataDir: "/x", Client: &ClientConfig{Enabled: true}}, "client.servers"},
		{"client without data dir", Config{Client: &ClientConfig{Enabled: true, Servers: []string{"a:1"}}}, "data_dir"},
		{"server without data dir", Config{Server: &ServerConfig{Enabled: true}}, "data_dir"},
		{"bad port", Config{DataDir: "/x", Server: &ServerConfig{Enabled: true}, Ports: &Ports{HTTP: 70000}}, "ports.http"},
		{"bad duration", Config{DataDir: "/x", Server: &ServerConfig{Enabled: true, HeartbeatGrace: "soon"}}, "server.heartbeat_grace"},
		{"bad registry port", Config{DataDir: "/x", Registry: &RegistryConfig{Enabled: true, Port: -1}}, "registry.port"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Normalize()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestParseReportsPosition(t *testing.T) {
	_, err := Parse("agent.hcl", []byte("server {\n  enabled = \"yes please\"\n}\n"))
	if err == nil || !strings.Contains(err.Error(), "agent.hcl:2:") {
		t.Fatalf("err = %v, want a file:line position", err)
	}
}

// TestTakenPortIsNamed: the API port is taken; the start fails naming the
// address, and the embedded etcd it had started is stopped (its data dir
// can be reused at once).
func TestTakenPortIsNamed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()
	cfg := &Config{DataDir: dir, BindAddr: "127.0.0.1", Server: &ServerConfig{Enabled: true}, Ports: &Ports{HTTP: port}}
	if err := cfg.Normalize(); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	_, err = Start(context.Background(), cfg, log)
	if err == nil || !strings.Contains(err.Error(), "listen for the HTTP API on 127.0.0.1:") {
		t.Fatalf("err = %v, want one naming the address", err)
	}
	ln.Close()
	a, err := Start(context.Background(), cfg, log)
	if err != nil {
		t.Fatalf("restart on the same data dir after the failure: %v", err)
	}
	if err := a.Shutdown(); err != nil {
		t.Fatal(err)
	}
}
