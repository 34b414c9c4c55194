package agent

import "testing"

func TestACLDefaults(t *testing.T) {
	on, off := true, false
	tests := []struct {
		name string
		cfg  Config
		want bool
	}{
		{"dev defaults off", Config{Dev: true}, false},
		{"non-dev defaults on", Config{Server: &ServerConfig{Enabled: true}, DataDir: t.TempDir()}, true},
		{"dev turned on", Config{Dev: true, ACL: &ACLConfig{Enabled: &on}}, true},
		{"non-dev turned off", Config{Server: &ServerConfig{Enabled: true}, DataDir: t.TempDir(), ACL: &ACLConfig{Enabled: &off}}, false},
	}
	for _, tc := range tests {
		if err := tc.cfg.Normalize(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := tc.cfg.ACLEnabled(); got != tc.want {
			t.Errorf("%s: ACLEnabled = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestACLTokenTooShort(t *testing.T) {
	c := Config{Dev: true, ACL: &ACLConfig{Token: "short"}}
	if err := c.Normalize(); err == nil {
		t.Fatal("a 5-character acl.token was accepted")
	}
}

func TestParseACLBlock(t *testing.T) {
	c, err := Parse("agent.hcl", []byte("acl {\n  enabled = false\n  token = \"0123456789abcdef0123\"\n}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.ACL == nil || c.ACL.Enabled == nil || *c.ACL.Enabled || c.ACL.Token != "0123456789abcdef0123" {
		t.Fatalf("acl block = %+v", c.ACL)
	}
}
