package proxy

import (
	"crypto/tls"
	"errors"
	"fmt"
)

// CertFile names a PEM certificate (chain) and its key.
type CertFile struct {
	CertFile string
	KeyFile  string
}

// TLSConfig loads certs for a TLS entry point. The certificate whose
// names match the client's SNI is served; the first one is the default
// for clients without SNI or with an unknown name. HTTP/2 and HTTP/1.1
// are offered by ALPN.
func TLSConfig(certs []CertFile) (*tls.Config, error) {
	if len(certs) == 0 {
		return nil, errors.New("tls: no certificates")
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}
	for _, c := range certs {
		pair, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls: certificate %s: %w", c.CertFile, err)
		}
		cfg.Certificates = append(cfg.Certificates, pair)
	}
	return cfg, nil
}
