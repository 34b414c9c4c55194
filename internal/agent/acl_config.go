package agent

// ACLConfig turns on access control (Nomad's acl block): once enabled and
// bootstrapped, every API request needs a token with the capability it
// uses.
type ACLConfig struct {
	Enabled bool `hcl:"enabled,optional"`
}

func (c *Config) normalizeACL() error { return nil }
