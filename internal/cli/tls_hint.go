package cli

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
)

// hintTLS says which TLS setting to change when err is a TLS refusal.
func (m *meta) hintTLS(err error) {
	if h := tlsHint(err); h != "" {
		fmt.Fprintln(m.errOut, h)
	}
}

// tlsHint is the advice for a TLS refusal, "" for other errors.
func tlsHint(err error) string {
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	msg := err.Error()
	switch {
	case errors.As(err, &unknownCA):
		return "The server's certificate is not signed by a CA the CLI trusts: set -ca-cert or WHARF_CACERT to the agents' CA file."
	case errors.As(err, &hostErr):
		return "The server's certificate does not hold the address dialed: set -tls-server-name (or WHARF_TLS_SERVER_NAME) to server.<region>.wharf, or add the address to the certificate."
	case strings.Contains(msg, "certificate required"):
		return "The server requires a client certificate: set -client-cert and -client-key (or WHARF_CLIENT_CERT and WHARF_CLIENT_KEY)."
	case strings.Contains(msg, "expired certificate"), strings.Contains(msg, "bad certificate"),
		strings.Contains(msg, "unknown certificate authority"):
		return "The server refused the client certificate: it must be signed by the agents' CA and still valid (wharf tls cert create -cli)."
	case strings.Contains(msg, "HTTP request to an HTTPS server"):
		return "The agent serves HTTPS: use an https:// address (-address or WHARF_ADDR)."
	case strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		return "The agent serves plain HTTP: use an http:// address."
	}
	return ""
}
