package api

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
)

// TLSConfig says how the client verifies an https:// server and which
// certificate it presents to it (Nomad's api.TLSConfig).
type TLSConfig struct {
	// CACert is a PEM file of the CA that signed the server's
	// certificate; the system's roots when empty.
	CACert string
	// ClientCert and ClientKey are the PEM certificate and key the
	// client presents (servers with verify_https_client require one).
	ClientCert, ClientKey string
	// TLSServerName is the name the server's certificate must hold, e.g.
	// server.global.wharf; the address's host when empty.
	TLSServerName string
	// Insecure skips verifying the server's certificate.
	Insecure bool
}

// tlsFromEnv reads WHARF_CACERT, WHARF_CLIENT_CERT, WHARF_CLIENT_KEY,
// WHARF_TLS_SERVER_NAME and WHARF_SKIP_VERIFY (the NOMAD_ names as
// fallbacks); nil when none is set.
func tlsFromEnv() *TLSConfig {
	t := &TLSConfig{
		CACert:        firstEnv("WHARF_CACERT", "NOMAD_CACERT"),
		ClientCert:    firstEnv("WHARF_CLIENT_CERT", "NOMAD_CLIENT_CERT"),
		ClientKey:     firstEnv("WHARF_CLIENT_KEY", "NOMAD_CLIENT_KEY"),
		TLSServerName: firstEnv("WHARF_TLS_SERVER_NAME", "NOMAD_TLS_SERVER_NAME"),
	}
	t.Insecure, _ = strconv.ParseBool(firstEnv("WHARF_SKIP_VERIFY", "NOMAD_SKIP_VERIFY"))
	if *t == (TLSConfig{}) {
		return nil
	}
	return t
}

// Config returns the crypto/tls configuration t describes.
func (t *TLSConfig) Config() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.TLSServerName, InsecureSkipVerify: t.Insecure}
	if t.CACert != "" {
		pemBytes, err := os.ReadFile(t.CACert)
		if err != nil {
			return nil, fmt.Errorf("tls: read ca cert: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemBytes) {
			return nil, fmt.Errorf("tls: ca cert %s holds no PEM certificate", t.CACert)
		}
		cfg.RootCAs = pool
	}
	if (t.ClientCert == "") != (t.ClientKey == "") {
		return nil, errors.New("tls: a client certificate and its key go together")
	}
	if t.ClientCert != "" {
		pair, err := tls.LoadX509KeyPair(t.ClientCert, t.ClientKey)
		if err != nil {
			return nil, fmt.Errorf("tls: load client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// newHTTPClient is the client's default http.Client, with t's TLS
// settings when t is set.
func newHTTPClient(t *TLSConfig) (*http.Client, error) {
	if t == nil {
		return &http.Client{}, nil
	}
	cfg, err := t.Config()
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg
	return &http.Client{Transport: tr}, nil
}
