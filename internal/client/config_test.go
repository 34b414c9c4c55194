package client

import (
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/fake"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"ok", Config{Servers: []string{"a:4646"}, DataDir: "/x"}, ""},
		{"no servers", Config{DataDir: "/x"}, "no servers"},
		{"no data dir", Config{Servers: []string{"a"}}, "no data dir"},
		{"nil driver", Config{Servers: []string{"a"}, DataDir: "/x", Drivers: []drivers.Driver{nil}}, "driver 0 is nil"},
		{"twice", Config{Servers: []string{"a"}, DataDir: "/x", Drivers: []drivers.Driver{fake.New(), fake.New()}}, `driver "fake" given twice`},
	}
	for _, tt := range tests {
		err := tt.cfg.validate()
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	c := Config{HostEnv: map[string]string{}}
	c.setDefaults()
	if c.Datacenter != "dc1" || c.NodePool != "default" || c.Region != "global" || c.NodeName == "" ||
		c.UpdateInterval != DefaultUpdateInterval || c.GCMaxAllocs != 50 || c.NomadVersion != DefaultNomadVersion ||
		c.RetryMin != DefaultRetryMin || c.RetryMax != DefaultRetryMax || c.Logger == nil {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestHostEnv(t *testing.T) {
	env := HostEnv([]string{"PATH=/bin", "VAULT_TOKEN=s3cret", "EMPTY=", "A=b=c", "junk"}, DefaultEnvDenylist)
	if env["PATH"] != "/bin" || env["A"] != "b=c" || env["EMPTY"] != "" || len(env) != 3 {
		t.Fatalf("env %v", env)
	}
	if _, ok := env["VAULT_TOKEN"]; ok {
		t.Fatal("a denied variable passed")
	}
}

func TestNewKeepsNodeIdentity(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Servers: []string{"127.0.0.1:1"}, DataDir: dir, Logger: discardLogger()}
	c1, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n1, n2 := c1.Node(), c2.Node()
	if n1.ID == "" || n1.ID != n2.ID || n1.SecretID == "" || n1.SecretID != n2.SecretID || c1.NodeID() != n1.ID {
		t.Fatalf("identity changed: %s/%s vs %s/%s", n1.ID, n1.SecretID, n2.ID, n2.SecretID)
	}
	other, err := New(Config{Servers: []string{"127.0.0.1:1"}, DataDir: t.TempDir(), Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if other.NodeID() == n1.ID {
		t.Fatal("two data dirs share a node ID")
	}
}
