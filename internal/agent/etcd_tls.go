package agent

import (
	"crypto/tls"
	"errors"
	"fmt"

	"github.com/wharf-project/wharf/internal/state/embedetcd"
	"github.com/wharf-project/wharf/internal/state/etcdstore"
	"github.com/wharf-project/wharf/internal/tlsutil"
)

// embeddedEtcdTLS serves the embedded member's peer and client URLs over
// mutual TLS with the agent's certificate when tls.rpc is on; only
// certificates holding server.<region>.wharf may join or connect.
func (a *Agent) embeddedEtcdTLS() *embedetcd.TLS {
	t := a.cfg.TLS
	if t == nil || !t.RPC {
		return nil
	}
	return &embedetcd.TLS{CAFile: t.CAFile, CertFile: t.CertFile, KeyFile: t.KeyFile,
		ServerName: tlsutil.RoleName(tlsutil.RoleServer, a.cfg.Region, tlsutil.DefaultDomain)}
}

// etcdClientTLS sets how the store reaches etcd: the embedded member
// with the agent's certificate (tls.rpc), or an external cluster with the
// etcd block's files and user.
func (a *Agent) etcdClientTLS(sc *etcdstore.Config) error {
	ec := a.cfg.Etcd
	if len(ec.Endpoints) == 0 {
		if a.embeddedEtcdTLS() == nil {
			return nil
		}
		r, err := a.tlsFiles()
		if err != nil {
			return err
		}
		sc.TLS = r.ClientConfig(tlsutil.DialOptions{Roles: []tlsutil.Role{tlsutil.RoleServer},
			Region: a.cfg.Region, Domain: tlsutil.DefaultDomain})
		return nil
	}
	sc.Username, sc.Password = ec.Username, ec.Password
	cfg, err := externalEtcdTLS(ec)
	sc.TLS = cfg
	return err
}

// externalEtcdTLS is the TLS configuration for an external etcd: its CA
// (or the system's roots) and an optional client certificate; nil when
// the etcd block names no file.
func externalEtcdTLS(ec *EtcdConfig) (*tls.Config, error) {
	if ec.CAFile == "" && ec.CertFile == "" && ec.KeyFile == "" {
		return nil, nil
	}
	if (ec.CertFile == "") != (ec.KeyFile == "") {
		return nil, errors.New("etcd.cert_file and etcd.key_file go together")
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if ec.CAFile != "" {
		pool, err := tlsutil.LoadCAPool(ec.CAFile)
		if err != nil {
			return nil, fmt.Errorf("etcd.ca_file: %w", err)
		}
		cfg.RootCAs = pool
	}
	if ec.CertFile != "" {
		pair, err := tls.LoadX509KeyPair(ec.CertFile, ec.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("etcd.cert_file: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}
