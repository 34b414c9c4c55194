package agent

import (
	"strings"
	"testing"
)

func TestNormalizeCatalog(t *testing.T) {
	on, off := true, false
	tests := []struct {
		name             string
		cfg              Config
		consul, dns      bool
		consulP, dnsPort int
		err              string
	}{
		{"dev defaults", Config{Dev: true}, true, true, 8500, 8600, ""},
		{"dev, consul off", Config{Dev: true, Consul: &ConsulConfig{Enabled: &off}}, false, true, 8500, 8600, ""},
		{"dev, other ports", Config{Dev: true, Consul: &ConsulConfig{Port: 18500}, DNS: &DNSConfig{Port: 18600}}, true, true, 18500, 18600, ""},
		{"server: off by default", Config{DataDir: "/x", Server: &ServerConfig{Enabled: true}}, false, false, 8500, 8600, ""},
		{"server: on", Config{DataDir: "/x", Server: &ServerConfig{Enabled: true}, DNS: &DNSConfig{Enabled: &on}}, false, true, 8500, 8600, ""},
		{"bad port", Config{Dev: true, DNS: &DNSConfig{Port: 70000}}, false, false, 0, 0, "dns.port"},
		{"bad ttl", Config{Dev: true, DNS: &DNSConfig{TTL: "soon"}}, false, false, 0, 0, "dns.ttl"},
		{"client only", Config{DataDir: "/x", Client: &ClientConfig{Enabled: true, Servers: []string{"a:1"}},
			Consul: &ConsulConfig{Enabled: &on}}, false, false, 0, 0, "server role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Normalize()
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c := tt.cfg
			if c.ConsulEnabled() != tt.consul || c.DNSEnabled() != tt.dns || c.Consul.Port != tt.consulP || c.DNS.Port != tt.dnsPort || c.DNS.Domain != "wharf" {
				t.Fatalf("consul %v:%d dns %v:%d domain %s", c.ConsulEnabled(), c.Consul.Port, c.DNSEnabled(), c.DNS.Port, c.DNS.Domain)
			}
		})
	}
}

func TestParseCatalogBlocks(t *testing.T) {
	c, err := Parse("a.hcl", []byte(`
server { enabled = true }
data_dir = "/x"
consul {
  enabled = true
  port    = 18500
}
dns {
  enabled = true
  domain  = "example"
  ttl     = "5s"
}
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Normalize(); err != nil {
		t.Fatal(err)
	}
	if !c.ConsulEnabled() || c.Consul.Port != 18500 || !c.DNSEnabled() || c.DNS.Domain != "example" || c.DNS.TTL != "5s" {
		t.Fatalf("parsed %+v %+v", c.Consul, c.DNS)
	}
}
