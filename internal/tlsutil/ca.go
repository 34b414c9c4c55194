// Package tlsutil makes wharf's certificate authority and the server,
// client and cli certificates it signs (as `nomad tls` does), and builds
// the *tls.Config of every TLS endpoint and dialer of the agent and CLI
// from certificate files it reloads when they change.
//
// A certificate's role is a DNS name in its subject alternative names:
// server.<region>.<domain>, client.<region>.<domain> or
// cli.<region>.<domain> (domain "wharf" by default).
//
// tlsutil must never import any other wharf package.
package tlsutil

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Defaults of `wharf tls ca create` and `wharf tls cert create`, as
// Nomad's.
const (
	DefaultDomain   = "wharf"
	DefaultRegion   = "global"
	DefaultCADays   = 1825
	DefaultCertDays = 365
)

// CAOptions describe a new certificate authority.
type CAOptions struct {
	// Domain names the CA ("<domain> Agent CA") and its files;
	// DefaultDomain when empty.
	Domain string
	// CommonName overrides the CA's common name.
	CommonName string
	// Days the CA is valid for; DefaultCADays when zero.
	Days int
	// NotBefore is when validity starts; an hour ago when zero (clocks
	// drift).
	NotBefore time.Time
}

// CAFileNames are the certificate and key files `wharf tls ca create`
// writes for domain: "<domain>-agent-ca.pem" and
// "<domain>-agent-ca-key.pem".
func CAFileNames(domain string) (certFile, keyFile string) {
	if domain == "" {
		domain = DefaultDomain
	}
	return domain + "-agent-ca.pem", domain + "-agent-ca-key.pem"
}

// GenerateCA returns a new self-signed CA certificate and its ECDSA P-256
// key, both PEM.
func GenerateCA(o CAOptions) (certPEM, keyPEM []byte, err error) {
	if o.Domain == "" {
		o.Domain = DefaultDomain
	}
	if o.Days == 0 {
		o.Days = DefaultCADays
	}
	if o.Days < 0 {
		return nil, nil, fmt.Errorf("ca days: %d is not a number of days", o.Days)
	}
	if o.CommonName == "" {
		o.CommonName = o.Domain + " Agent CA"
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate ca key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, nil, err
	}
	ski, err := keyID(key.Public())
	if err != nil {
		return nil, nil, err
	}
	start := notBefore(o.NotBefore)
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{CommonName: o.CommonName, Organization: []string{o.Domain},
			OrganizationalUnit: []string{"wharf agent CA"}},
		NotBefore: start, NotAfter: start.Add(time.Hour + time.Duration(o.Days)*24*time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage:     x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		SubjectKeyId: ski, AuthorityKeyId: ski,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, fmt.Errorf("create ca certificate: %w", err)
	}
	keyPEM, err = encodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyPEM, nil
}

func notBefore(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now().Add(-time.Hour).Truncate(time.Second)
	}
	return t
}

func randomSerial() (*big.Int, error) {
	s, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("generate serial number: %w", err)
	}
	return s, nil
}

// keyID is the subject key identifier of pub: a hash of its encoding.
func keyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return sum[:20], nil
}

func encodeKey(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

// ParseCA reads a CA certificate and its key from PEM.
func ParseCA(certPEM, keyPEM []byte) (*x509.Certificate, crypto.Signer, error) {
	b, _ := pem.Decode(certPEM)
	if b == nil || b.Type != "CERTIFICATE" {
		return nil, nil, errors.New("ca certificate: no PEM CERTIFICATE block")
	}
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("ca certificate: %w", err)
	}
	if !cert.IsCA {
		return nil, nil, errors.New("ca certificate: not a CA (basic constraints)")
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil {
		return nil, nil, errors.New("ca key: no PEM block")
	}
	signer, err := parseKey(kb)
	if err != nil {
		return nil, nil, fmt.Errorf("ca key: %w", err)
	}
	if !publicKeysEqual(cert.PublicKey, signer.Public()) {
		return nil, nil, errors.New("ca key: does not match the ca certificate")
	}
	return cert, signer, nil
}

func parseKey(b *pem.Block) (crypto.Signer, error) {
	switch b.Type {
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(b.Bytes)
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		if err != nil {
			return nil, err
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("key of type %T cannot sign", k)
		}
		return s, nil
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(b.Bytes)
	}
	return nil, fmt.Errorf("unknown PEM block %q", b.Type)
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	ea, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && ea.Equal(b)
}
