package certgen

import (
	"crypto/tls"
	"crypto/x509"
	"path/filepath"
	"testing"
)

func TestSelfSignedLoadsAndNamesItsHost(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "a.crt"), filepath.Join(dir, "a.key")
	if err := WriteSelfSigned("a.test", cert, key); err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := leaf.VerifyHostname("a.test"); err != nil {
		t.Error(err)
	}
	if err := leaf.VerifyHostname("b.test"); err == nil {
		t.Error("the certificate is good for b.test too")
	}
}
