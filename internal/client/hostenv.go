package client

import (
	"slices"
	"strings"
)

// DefaultEnvDenylist are the agent's environment variables tasks do not
// inherit, as Nomad's client denies them by default: credentials.
var DefaultEnvDenylist = []string{
	"CONSUL_TOKEN", "CONSUL_HTTP_TOKEN", "CONSUL_HTTP_TOKEN_FILE", "CONSUL_LICENSE",
	"NOMAD_TOKEN", "NOMAD_LICENSE", "VAULT_TOKEN", "VAULT_LICENSE",
	"WHARF_TOKEN",
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"GOOGLE_APPLICATION_CREDENTIALS",
}

// HostEnv turns an environment list ("K=V") into a map without the
// denied variables.
func HostEnv(environ []string, deny []string) map[string]string {
	out := make(map[string]string, len(environ))
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" || slices.Contains(deny, k) {
			continue
		}
		out[k] = v
	}
	return out
}
