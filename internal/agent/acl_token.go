package agent

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/wharf-project/wharf/internal/backoff"
	"github.com/wharf-project/wharf/internal/structs"
)

// agentPolicy is the policy of the tokens agents make for their own
// client and ingress: register and heartbeat nodes, read the catalog.
const (
	agentPolicyName  = "wharf-agent"
	agentPolicyRules = `node { policy = "write" }
agent { policy = "read" }
namespace "*" { policy = "read" }
service_prefix "" { policy = "read" }
`
)

// agentToken returns the token this agent's own client and ingress send:
// the configured one, else (with ACLs on and the server role) a fresh
// secret that ensureAgentToken stores.
func (a *Agent) agentToken() string {
	if a.cfg.ACL != nil && a.cfg.ACL.Token != "" {
		return a.cfg.ACL.Token
	}
	return a.ownToken
}

// prepareAgentToken makes this start's agent secret when the agent runs
// a server with ACLs on and no token is configured, and stores it (with
// the agent policy) in the background until the store takes the write.
// The token has a fixed accessor per agent (name and data dir), so each
// start replaces the previous secret instead of adding tokens.
func (a *Agent) prepareAgentToken() {
	if a.cfg.ACLEnabled() && a.store != nil && a.store.Snapshot().ACLBootstrapIndex() == 0 {
		a.log.Warn("ACLs are on and not bootstrapped: the API refuses every request until `wharf acl bootstrap` " +
			"makes the first management token (acl { enabled = false } turns ACLs off)")
	}
	if !a.cfg.ACLEnabled() || a.store == nil || (a.cfg.ACL != nil && a.cfg.ACL.Token != "") {
		return
	}
	a.ownToken = structs.GenerateUUID()
	sum := sha256.Sum256([]byte("wharf-agent\x00" + a.cfg.Name + "\x00" + a.cfg.DataDir))
	accessor := fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
	tok := &structs.ACLToken{AccessorID: accessor, SecretHash: structs.HashSecret(a.ownToken),
		Name: "agent " + a.cfg.Name, Type: structs.ACLClientToken, Policies: []string{agentPolicyName},
		CreateTime: time.Now().UTC()}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.storeAgentToken(tok)
	}()
}

// storeAgentToken writes the agent policy and token, retrying until it
// succeeds or the agent stops.
func (a *Agent) storeAgentToken(tok *structs.ACLToken) {
	pol := &structs.ACLPolicy{Name: agentPolicyName, Description: "wharf agents' own clients and ingress", Rules: agentPolicyRules}
	retry := backoff.Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second, NoJitter: true}
	for {
		ctx, cancel := context.WithTimeout(a.baseCtx, 10*time.Second)
		_, err := a.store.UpsertACLPolicies(ctx, []*structs.ACLPolicy{pol})
		if err == nil {
			_, err = a.store.UpsertACLTokens(ctx, []*structs.ACLToken{tok})
		}
		cancel()
		if err == nil {
			return
		}
		a.log.Warn("store the agent's ACL token: retrying", "err", err)
		select {
		case <-a.baseCtx.Done():
			return
		case <-time.After(retry.Next()):
		}
	}
}
