package agent

import (
	"fmt"
	"strings"
	"testing"
)

// TestJailGuard: the agent's ports but DNS and the ingress proxy are
// closed to jails, minus allow_host_ports; egress settings are checked.
func TestJailGuard(t *testing.T) {
	on := true
	base := func() *Config {
		return &Config{
			Ports:    &Ports{HTTP: 4646},
			Consul:   &ConsulConfig{Enabled: &on, Port: 8500},
			DNS:      &DNSConfig{Enabled: &on, Port: 8600},
			Registry: &RegistryConfig{Enabled: true, Port: 9080},
			Ingress:  &IngressConfig{Enabled: &on, Port: 8080, DashboardPort: 9200},
			Client:   &ClientConfig{Pot: &PotConfig{}},
		}
	}
	tests := []struct {
		name    string
		edit    func(*PotConfig)
		ports   string
		egress  string
		wantErr string
	}{
		{"defaults", func(*PotConfig) {}, "[4646 8500 9080 9200]", "", ""},
		{"api allowed", func(p *PotConfig) { p.AllowHostPorts = []int{4646, 9200} }, "[8500 9080]", "", ""},
		{"egress deny", func(p *PotConfig) { p.Egress = "deny"; p.EgressAllow = []string{"192.0.2.0/24"} }, "[4646 8500 9080 9200]", "deny", ""},
		{"bad egress", func(p *PotConfig) { p.Egress = "maybe" }, "", "", `egress "maybe"`},
		{"bad allow", func(p *PotConfig) { p.EgressAllow = []string{"10.0.0.300/8"} }, "", "", "client.pot.egress_allow"},
		{"ipv6 allow", func(p *PotConfig) { p.EgressAllow = []string{"fd00::/8"} }, "", "", "not an IPv4 CIDR"},
		{"port zero allowed", func(p *PotConfig) { p.AllowHostPorts = []int{0} }, "", "", "allow_host_ports: 0 is not a port"},
		{"negative port allowed", func(p *PotConfig) { p.AllowHostPorts = []int{-4646} }, "", "", "allow_host_ports: -4646 is not a port"},
		{"port past 65535 allowed", func(p *PotConfig) { p.AllowHostPorts = []int{4646 + 65536} }, "", "", "allow_host_ports: 70182 is not a port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base()
			tt.edit(cfg.Client.Pot)
			g, err := (&Agent{cfg: cfg}).jailGuard()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("jailGuard = %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(g.HostPorts); got != tt.ports || g.Egress != tt.egress {
				t.Errorf("ports %s egress %q, want %s %q", got, g.Egress, tt.ports, tt.egress)
			}
		})
	}
}
