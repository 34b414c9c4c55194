package agent

// ACLConfig turns on access control (Nomad's acl block): once enabled and
// bootstrapped, every API request needs a token with the capability it
// uses.
type ACLConfig struct {
	// Enabled turns ACLs on or off; unset, they are off.
	Enabled *bool `hcl:"enabled,optional"`
}

func (c *Config) normalizeACL() error {
	if c.ACL == nil {
		c.ACL = &ACLConfig{}
	}
	return nil
}

// ACLEnabled reports whether the server enforces ACLs.
func (c *Config) ACLEnabled() bool {
	return c.ACL != nil && c.ACL.Enabled != nil && *c.ACL.Enabled
}
