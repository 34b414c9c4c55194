package agent

import (
	"errors"
	"path/filepath"
)

// ACLConfig turns on access control (Nomad's acl block): once enabled and
// bootstrapped, every API request needs a token with the capability it
// uses.
type ACLConfig struct {
	// Enabled turns ACLs on or off; unset, they are off in -dev and on
	// otherwise.
	Enabled *bool `hcl:"enabled,optional"`
	// Token is the ACL token this agent's client and ingress send to the
	// servers. A client registers a new node only with a token that has
	// node write; an agent that also runs a server makes its own agent
	// token when none is set.
	Token string `hcl:"token,optional"`
}

func (c *Config) normalizeACL() error {
	if c.ACL == nil {
		c.ACL = &ACLConfig{}
	}
	if c.ACL.Token != "" && len(c.ACL.Token) < 16 {
		return errors.New("acl.token: shorter than 16 characters; use the SecretID of a token")
	}
	return nil
}

// ACLEnabled reports whether the server enforces ACLs: as configured, else
// off in -dev and on otherwise.
func (c *Config) ACLEnabled() bool {
	if c.ACL != nil && c.ACL.Enabled != nil {
		return *c.ACL.Enabled
	}
	return !c.Dev
}

// aclBootstrapResetFile is where an operator writes the reset index to
// bootstrap ACLs again, as Nomad's <data_dir>/server/acl-bootstrap-reset;
// "" without a data dir.
func aclBootstrapResetFile(dataDir string) string {
	if dataDir == "" {
		return ""
	}
	return filepath.Join(dataDir, "server", "acl-bootstrap-reset")
}
