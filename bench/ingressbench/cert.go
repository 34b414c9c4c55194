//go:build linux

package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"strconv"
	"time"
)

// makeCert writes a self-signed ECDSA P-256 certificate for benchHost
// under the run's root (cert, key, and both in one file for haproxy) and
// makes every proxy of the run terminate TLS with it.
func (e *env) makeCert() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: benchHost},
		DNSNames: []string{benchHost}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
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
