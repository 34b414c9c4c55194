package cli

import (
	"net/http"

	"github.com/spf13/pflag"

	"github.com/wharf-project/wharf/internal/api"
)

// tlsFlags are the global flags that reach an https:// server, as
// Nomad's -ca-cert, -client-cert, -client-key, -tls-server-name and
// -tls-skip-verify.
type tlsFlags struct {
	caCert, clientCert, clientKey, serverName string
	skipVerify                                bool
}

func (f *tlsFlags) register(pf *pflag.FlagSet) {
	pf.StringVar(&f.caCert, "ca-cert", "", "PEM file of the CA that signed the server's certificate (default $WHARF_CACERT)")
	pf.StringVar(&f.clientCert, "client-cert", "", "PEM certificate to present to the server (default $WHARF_CLIENT_CERT)")
	pf.StringVar(&f.clientKey, "client-key", "", "PEM key of -client-cert (default $WHARF_CLIENT_KEY)")
	pf.StringVar(&f.serverName, "tls-server-name", "", "name the server's certificate must hold, e.g. server.global.wharf (default $WHARF_TLS_SERVER_NAME)")
	pf.BoolVar(&f.skipVerify, "tls-skip-verify", false, "do not verify the server's certificate (default $WHARF_SKIP_VERIFY)")
}

// apply lays the flags that were given over cfg's TLS settings from the
// environment.
func (f *tlsFlags) apply(cfg *api.Config) {
	if *f == (tlsFlags{}) {
		return
	}
	t := api.TLSConfig{}
	if cfg.TLSConfig != nil {
		t = *cfg.TLSConfig
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&t.CACert, f.caCert)
	set(&t.ClientCert, f.clientCert)
	set(&t.ClientKey, f.clientKey)
	set(&t.TLSServerName, f.serverName)
	if f.skipVerify {
		t.Insecure = true
	}
	cfg.TLSConfig = &t
}

// httpClient is the client for requests outside the API (a registry's
// images), with the same TLS settings as the API client.
func (m *meta) httpClient() (*http.Client, error) {
	cfg := api.DefaultConfig()
	m.tls.apply(cfg)
	if cfg.TLSConfig == nil {
		return http.DefaultClient, nil
	}
	tc, err := cfg.TLSConfig.Config()
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	return &http.Client{Transport: tr}, nil
}
