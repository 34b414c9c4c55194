package embedetcd

import (
	"go.etcd.io/etcd/client/pkg/v3/transport"
	"go.etcd.io/etcd/server/v3/embed"
)

// TLS are the PEM files a member serves its peers and clients with.
type TLS struct {
	CAFile, CertFile, KeyFile string
	// ServerName is the name every member's certificate holds (e.g.
	// server.global.wharf): members check it on each other instead of
	// the address they dial, and only certificates holding it may join
	// the cluster or talk to a member.
	ServerName string
}

// tlsInfo is etcd's form of t for one listener.
func (t *TLS) tlsInfo() transport.TLSInfo {
	info := transport.TLSInfo{
		CertFile: t.CertFile, KeyFile: t.KeyFile, TrustedCAFile: t.CAFile,
		ClientCertAuth: true, ServerName: t.ServerName,
		// The role name is checked instead of the peer's address, which
		// certificates need not hold.
		SkipClientSANVerify: true,
	}
	if t.ServerName != "" {
		info.AllowedHostnames = []string{t.ServerName}
	}
	return info
}

// applyTLS makes the member serve its peer and client URLs over mutual
// TLS.
func applyTLS(ec *embed.Config, t *TLS) {
	if t == nil {
		return
	}
	ec.PeerTLSInfo = t.tlsInfo()
	ec.ClientTLSInfo = t.tlsInfo()
}

func urlScheme(t *TLS) string {
	if t == nil {
		return "http"
	}
	return "https"
}
