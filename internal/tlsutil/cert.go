package tlsutil

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"net"
	"strings"
	"time"
)

// Role is what a certificate may act as.
type Role string

// The roles of certificates: servers, client agents (nodes) and
// operators' command lines.
const (
	RoleServer Role = "server"
	RoleClient Role = "client"
	RoleCLI    Role = "cli"
)

// RoleName is the DNS name that gives a certificate its role, e.g.
// "server.global.wharf".
func RoleName(role Role, region, domain string) string {
	if region == "" {
		region = DefaultRegion
	}
	if domain == "" {
		domain = DefaultDomain
	}
	return string(role) + "." + region + "." + domain
}

// CertFileNames are the files `wharf tls cert create` writes, e.g.
// "global-server-wharf.pem" and "global-server-wharf-key.pem".
func CertFileNames(role Role, region, domain string) (certFile, keyFile string) {
	if region == "" {
		region = DefaultRegion
	}
	if domain == "" {
		domain = DefaultDomain
	}
	base := region + "-" + string(role) + "-" + domain
	return base + ".pem", base + "-key.pem"
}

// CertOptions describe a certificate to sign.
type CertOptions struct {
	Role   Role
	Region string // DefaultRegion when empty
	Domain string // DefaultDomain when empty
	// Days the certificate is valid for; DefaultCertDays when zero.
	Days int
	// NotBefore is when validity starts; an hour ago when zero.
	NotBefore time.Time
	// DNSNames and IPAddresses are added to the role name, "localhost"
	// and (except for cli certificates) 127.0.0.1.
	DNSNames    []string
	IPAddresses []net.IP
	// CA and CAKey sign the certificate.
	CA    *x509.Certificate
	CAKey crypto.Signer
}

// GenerateCert returns a certificate for o.Role signed by o.CA, and its
// new ECDSA P-256 key, both PEM. Server and client certificates serve and
// dial (server and client auth, as agents do both); cli certificates only
// dial.
func GenerateCert(o CertOptions) (certPEM, keyPEM []byte, err error) {
	usage, err := roleUsage(o.Role)
	if err != nil {
		return nil, nil, err
	}
	if o.CA == nil || o.CAKey == nil {
		return nil, nil, fmt.Errorf("%s certificate: a CA certificate and key are required", o.Role)
	}
	if o.Days == 0 {
		o.Days = DefaultCertDays
	}
	if o.Days < 0 {
		return nil, nil, fmt.Errorf("days: %d is not a number of days", o.Days)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, nil, err
	}
	ski, err := keyID(key.Public())
	if err != nil {
		return nil, nil, err
	}
	name := RoleName(o.Role, o.Region, o.Domain)
	start := notBefore(o.NotBefore)
	end := start.Add(time.Hour + time.Duration(o.Days)*24*time.Hour)
	if end.After(o.CA.NotAfter) {
		end = o.CA.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: name},
		NotBefore: start, NotAfter: end,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: usage, BasicConstraintsValid: true,
		DNSNames: roleDNSNames(name, o.DNSNames), IPAddresses: roleIPs(o.Role, o.IPAddresses),
		SubjectKeyId: ski, AuthorityKeyId: o.CA.SubjectKeyId,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, o.CA, key.Public(), o.CAKey)
	if err != nil {
		return nil, nil, fmt.Errorf("sign %s certificate: %w", o.Role, err)
	}
	keyPEM, err = encodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyPEM, nil
}

func roleUsage(r Role) ([]x509.ExtKeyUsage, error) {
	switch r {
	case RoleServer, RoleClient:
		return []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, nil
	case RoleCLI:
		return []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, nil
	}
	return nil, fmt.Errorf("role %q: must be server, client or cli", r)
}

func roleDNSNames(name string, extra []string) []string {
	out := []string{name, "localhost"}
	for _, n := range extra {
		if n = strings.TrimSpace(n); n != "" && n != name && n != "localhost" {
			out = append(out, n)
		}
	}
	return out
}

func roleIPs(r Role, extra []net.IP) []net.IP {
	var out []net.IP
	if r != RoleCLI {
		out = append(out, net.IPv4(127, 0, 0, 1))
	}
	for _, ip := range extra {
		if ip != nil && !ip.Equal(net.IPv4(127, 0, 0, 1)) {
			out = append(out, ip)
		}
	}
	return out
}

// PeerRole returns the role a verified certificate holds in region and
// domain, or "" when it names none of them.
func PeerRole(cert *x509.Certificate, region, domain string) Role {
	if cert == nil {
		return ""
	}
	for _, r := range []Role{RoleServer, RoleClient, RoleCLI} {
		want := RoleName(r, region, domain)
		for _, n := range cert.DNSNames {
			if strings.EqualFold(n, want) {
				return r
			}
		}
	}
	return ""
}
