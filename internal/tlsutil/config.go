package tlsutil

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"
)

// Files name the PEM files of an endpoint: the CA that signs its peers,
// and its own certificate and key.
type Files struct {
	CAFile, CertFile, KeyFile string
}

// reloadEvery is how often a handshake looks at the files' modification
// times.
const reloadEvery = time.Second

// Reloader holds the certificate and CA pool read from Files, and reads
// them again when a file changes (checked at most once a second, on a
// handshake) or Reload is called. A change that does not load (a key
// that does not match, a half-written file) keeps the previous ones.
type Reloader struct {
	files Files

	mu      sync.Mutex
	cert    *tls.Certificate
	pool    *x509.CertPool
	mtimes  []time.Time
	checked time.Time
	lastErr error
}

// NewReloader loads f; a CA file is required, a certificate and key are
// optional together (a CLI that only verifies servers has none).
func NewReloader(f Files) (*Reloader, error) {
	if f.CAFile == "" {
		return nil, errors.New("tls: ca_file is required")
	}
	if (f.CertFile == "") != (f.KeyFile == "") {
		return nil, errors.New("tls: cert_file and key_file go together")
	}
	r := &Reloader{files: f}
	if err := r.Reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// Reload reads the files again.
func (r *Reloader) Reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.load()
}

func (r *Reloader) load() error {
	pool, err := LoadCAPool(r.files.CAFile)
	if err != nil {
		return err
	}
	var cert *tls.Certificate
	if r.files.CertFile != "" {
		c, err := tls.LoadX509KeyPair(r.files.CertFile, r.files.KeyFile)
		if err != nil {
			return fmt.Errorf("tls: load %s and %s: %w", r.files.CertFile, r.files.KeyFile, err)
		}
		cert = &c
	}
	r.cert, r.pool, r.mtimes, r.checked = cert, pool, r.modTimes(), time.Now()
	return nil
}

// LoadCAPool reads the PEM certificates of file into a pool.
func LoadCAPool(file string) (*x509.CertPool, error) {
	pemBytes, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("tls: read ca file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		return nil, fmt.Errorf("tls: ca file %s holds no PEM certificate", file)
	}
	return pool, nil
}

func (r *Reloader) modTimes() []time.Time {
	var out []time.Time
	for _, f := range []string{r.files.CAFile, r.files.CertFile, r.files.KeyFile} {
		if f == "" {
			continue
		}
		var mt time.Time
		if st, err := os.Stat(f); err == nil {
			mt = st.ModTime()
		}
		out = append(out, mt)
	}
	return out
}

// current returns the certificate and pool, reloading them first when a
// file changed since the last look.
func (r *Reloader) current() (*tls.Certificate, *x509.CertPool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Since(r.checked) >= reloadEvery {
		r.checked = time.Now()
		if !slices.Equal(r.modTimes(), r.mtimes) {
			r.lastErr = r.load()
		}
	}
	return r.cert, r.pool
}

// LastReloadError is the error of the last automatic reload, nil when it
// worked or none happened.
func (r *Reloader) LastReloadError() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastErr
}

// ServerConfig returns the configuration of a TLS listener. With
// requireClientCert a peer must present a certificate signed by the CA
// (Nomad's verify_https_client); without, a certificate a peer presents is
// still verified, so handlers can trust its role (see PeerRole).
func (r *Reloader) ServerConfig(requireClientCert bool) *tls.Config {
	auth := tls.VerifyClientCertIfGiven
	if requireClientCert {
		auth = tls.RequireAndVerifyClientCert
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			cert, pool := r.current()
			if cert == nil {
				return nil, errors.New("tls: no certificate to serve")
			}
			return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{*cert},
				ClientAuth: auth, ClientCAs: pool, NextProtos: []string{"http/1.1"}}, nil
		},
	}
}

// DialOptions say which servers a dialer accepts.
type DialOptions struct {
	// Roles, when set, are the roles the server's certificate must hold
	// in Region and Domain (Nomad's verify_server_hostname checks
	// server.<region>.nomad); otherwise any certificate the CA signed for
	// server auth will do, whatever address was dialed.
	Roles          []Role
	Region, Domain string
}

// ClientConfig returns the configuration of a dialer: it presents the
// certificate (when there is one) and verifies the server's chain against
// the CA, its validity, server-auth usage and, with o.Roles, its role.
func (r *Reloader) ClientConfig(o DialOptions) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		// The chain is verified below, against the current pool and
		// without the dialed address: agents dial IP addresses.
		InsecureSkipVerify: true,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			cert, _ := r.current()
			if cert == nil {
				return &tls.Certificate{}, nil
			}
			return cert, nil
		},
		VerifyConnection: func(cs tls.ConnectionState) error {
			_, pool := r.current()
			return VerifyServer(cs.PeerCertificates, pool, o)
		},
	}
}

// VerifyServer checks a server's certificate chain (leaf first) against
// pool and o.
func VerifyServer(chain []*x509.Certificate, pool *x509.CertPool, o DialOptions) error {
	if len(chain) == 0 {
		return errors.New("tls: the server sent no certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	leaf := chain[0]
	_, err := leaf.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	if err != nil {
		return fmt.Errorf("tls: server certificate: %w", err)
	}
	if len(o.Roles) > 0 && !slices.Contains(o.Roles, PeerRole(leaf, o.Region, o.Domain)) {
		return fmt.Errorf("tls: server certificate %q (names %v) holds none of the roles %v for region %q",
			leaf.Subject.CommonName, leaf.DNSNames, o.Roles, orDefault(o.Region, DefaultRegion))
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// WebClientConfig returns the configuration of a dialer that may reach
// both agents and the wider web (image downloads): it trusts the system's
// roots and the CA, checks the dialed host name as browsers do, and
// presents the certificate to servers that ask for one.
func (r *Reloader) WebClientConfig() *tls.Config {
	system, err := x509.SystemCertPool()
	if err != nil {
		system = nil
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		// Verified below, against the current CA as well as the system's
		// roots.
		InsecureSkipVerify: true,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			cert, _ := r.current()
			if cert == nil {
				return &tls.Certificate{}, nil
			}
			return cert, nil
		},
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("tls: the server sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			opts := x509.VerifyOptions{DNSName: cs.ServerName, Intermediates: inter}
			_, pool := r.current()
			opts.Roots = pool
			if _, err := cs.PeerCertificates[0].Verify(opts); err == nil {
				return nil
			}
			opts.Roots = system
			_, err := cs.PeerCertificates[0].Verify(opts)
			return err
		},
	}
}
