package cli

import (
	"github.com/spf13/pflag"

	"github.com/wharf-project/wharf/internal/agent"
)

// aclFlags are the agent's -acl-enabled and -acl-token flags.
type aclFlags struct {
	fs      *pflag.FlagSet
	enabled bool
	token   string
}

func addACLFlags(f *pflag.FlagSet) *aclFlags {
	a := &aclFlags{fs: f}
	f.BoolVar(&a.enabled, "acl-enabled", false, "enforce ACLs (default: on, except with -dev)")
	f.StringVar(&a.token, "acl-token", "", "ACL token this agent's client and ingress send to the servers")
	return a
}

// merge lets the flags override the configuration file's acl block.
func (a *aclFlags) merge(cfg *agent.Config) {
	if !a.fs.Changed("acl-enabled") && a.token == "" {
		return
	}
	if cfg.ACL == nil {
		cfg.ACL = &agent.ACLConfig{}
	}
	if a.fs.Changed("acl-enabled") {
		on := a.enabled
		cfg.ACL.Enabled = &on
	}
	if a.token != "" {
		cfg.ACL.Token = a.token
	}
}
