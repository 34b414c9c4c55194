//go:build linux

package main

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/wharf-project/wharf/internal/testkit/certgen"
)

// makeCert writes a self-signed ECDSA P-256 certificate for benchHost
// under the run's root (cert, key, and both in one file for haproxy) and
// makes every proxy of the run terminate TLS with it.
func (e *env) makeCert() error {
	certPEM, keyPEM, err := certgen.SelfSigned(benchHost)
	if err != nil {
		return err
	}
	e.cert, e.key, e.pem = e.path("bench.crt"), e.path("bench.key"), e.path("bench.pem")
	for file, b := range map[string][]byte{e.cert: certPEM, e.key: keyPEM, e.pem: append(append([]byte{}, certPEM...), keyPEM...)} {
		if err := os.WriteFile(file, b, 0o600); err != nil {
			return fmt.Errorf("certificate: %w", err)
		}
	}
	return nil
}

// url is the address of a proxy's entry point on port.
func (e *env) url(port int) string {
	if e.cert != "" {
		return "https://127.0.0.1:" + strconv.Itoa(port) + "/"
	}
	return "http://127.0.0.1:" + strconv.Itoa(port) + "/"
}

// client checks routing; it accepts the run's self-signed certificate.
var client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
	TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableKeepAlives: true}}
