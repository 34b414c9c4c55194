package client

import (
	"context"
	"time"

	"github.com/wharf-project/wharf/internal/api"
)

// Token checks for the client's own endpoints (logs, exec, stats, alloc
// actions) ask the servers within tokenAskDeadline in all, each server
// within tokenAskPerServer: those endpoints concern tasks on this node
// and must answer (from an earlier answer, or with a 503 naming the
// cause) within 2 s even when no server can be reached.
const (
	tokenAskDeadline  = 1500 * time.Millisecond
	tokenAskPerServer = 600 * time.Millisecond
)

// askTokens is the remote resolver's way to the servers: each in turn,
// with short deadlines and without the backoff of the client's own calls.
func (s *servers) askTokens(ctx context.Context, fn func(*api.Client) error) error {
	ctx, cancel := context.WithTimeout(ctx, tokenAskDeadline)
	defer cancel()
	return s.doWithin(ctx, tokenAskPerServer, fn)
}

// primeTokens resolves the anonymous token once the node registered, so
// that the client knows whether the servers have ACLs on before it is
// ever cut off from them.
func (c *Client) primeTokens(ctx context.Context) {
	_, _ = c.tokens.Resolve(ctx, "")
}
