package api

import (
	"errors"
	"net/http"
)

// Headers of credentials: an ACL token in Nomad's header, a client
// node's secret in wharf's.
const (
	TokenHeader      = "X-Nomad-Token"
	NodeSecretHeader = "X-Wharf-Node-Secret"
)

// tokenFromEnv is WHARF_TOKEN, or NOMAD_TOKEN as a fallback.
func tokenFromEnv() string { return firstEnv("WHARF_TOKEN", "NOMAD_TOKEN") }

// setAuth puts the client's credentials on req.
func (c *Client) setAuth(h http.Header) {
	if c.cfg.Token != "" {
		h.Set(TokenHeader, c.cfg.Token)
	}
	if c.cfg.NodeSecret != "" {
		h.Set(NodeSecretHeader, c.cfg.NodeSecret)
	}
}

// IsForbidden reports whether err is a 403 (a missing or insufficient
// token, or a node secret that does not match).
func IsForbidden(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == http.StatusForbidden
}

// WithToken returns a copy of the client that sends token (an ACL
// secret; "" for none) with every request.
func (c *Client) WithToken(token string) *Client {
	cp := *c
	cp.cfg.Token = token
	return &cp
}

// WithNodeSecret returns a copy of the client that sends a client node's
// secret ("" for none) with every request.
func (c *Client) WithNodeSecret(secret string) *Client {
	cp := *c
	cp.cfg.NodeSecret = secret
	return &cp
}
