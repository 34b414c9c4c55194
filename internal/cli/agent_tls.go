package cli

import "github.com/wharf-project/wharf/internal/agent"

// agentScheme is the scheme of the API port (api) or of the Consul-shaped
// API and the registry under cfg's tls block.
func agentScheme(cfg *agent.Config, api bool) string {
	t := cfg.TLS
	if t != nil && (t.HTTP || (api && t.RPC)) {
		return "https"
	}
	return "http"
}

// caHint adds the CA variable to the banner's WHARF_ADDR line under TLS.
func caHint(cfg *agent.Config) string {
	if agentScheme(cfg, true) == "http" {
		return ""
	}
	return " WHARF_CACERT=" + cfg.TLS.CAFile
}
