package agent

import (
	"time"

	"github.com/wharf-project/wharf/internal/acl"
)

// dnsACL is what the DNS server may answer with ACLs on: the anonymous
// policy's ACL, resolved against the current state for every query, as
// Consul's DNS answers with the agent's default token (nothing before the
// bootstrap); nil with ACLs off.
func (a *Agent) dnsACL() func() *acl.ACL {
	if !a.cfg.ACLEnabled() || a.store == nil {
		return nil
	}
	var res acl.Resolver
	return func() *acl.ACL {
		_, anon, err := res.Resolve(a.store.Snapshot(), "", time.Now())
		if err != nil || anon == nil {
			return acl.New(nil)
		}
		return anon
	}
}
