package proxy

import (
	"net/http"

	"github.com/wharf-project/wharf/internal/ingress/rule"
)

// matcher is the part of a parsed rule the route table needs.
type matcher interface {
	Match(r *http.Request) bool
}

var _ matcher = (*rule.Rule)(nil)

// parseRule parses a Traefik rule.
func parseRule(s string) (matcher, error) {
	r, err := rule.Parse(s)
	if err != nil {
		return nil, err
	}
	return r, nil
}
