package cli

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/tlsutil"
)

const tlsExample = `  wharf tls ca create
  wharf tls cert create -server -additional-ipaddress 10.0.0.11
  wharf tls cert create -client
  wharf tls cert create -cli`

// newTLSCommand returns `wharf tls`: a certificate authority and the
// agents' and operators' certificates, as `nomad tls`.
func newTLSCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tls",
		Short: "Create a CA and the certificates of servers, clients and the CLI",
		Long: `Create the files that turn on TLS between wharf's agents and its users: a
certificate authority (ca create), then certificates it signs (cert create)
for servers (server.<region>.wharf), clients (client.<region>.wharf) and the
CLI (cli.<region>.wharf). Files are written to the current directory and are
never overwritten.`,
		Example: tlsExample,
		Args:    usageArgs(cobra.NoArgs),
	}
	ca := &cobra.Command{Use: "ca", Short: "Create a certificate authority", Args: usageArgs(cobra.NoArgs),
		Long: "Create the certificate authority that signs the agents' and the CLI's certificates.", Example: tlsExample}
	ca.AddCommand(newTLSCACreateCommand())
	cert := &cobra.Command{Use: "cert", Short: "Create a certificate signed by the CA", Args: usageArgs(cobra.NoArgs),
		Long: "Create server, client and cli certificates signed by the CA.", Example: tlsExample}
	cert.AddCommand(newTLSCertCreateCommand())
	cmd.AddCommand(ca, cert)
	return cmd
}

func newTLSCACreateCommand() *cobra.Command {
	var o tlsutil.CAOptions
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a CA: <domain>-agent-ca.pem and <domain>-agent-ca-key.pem",
		Long: `Create a certificate authority (ECDSA P-256, valid -days days) and write its
certificate to <domain>-agent-ca.pem and its key to <domain>-agent-ca-key.pem
in the current directory. Keep the key off the agents: only cert create
needs it.`,
		Example: `  wharf tls ca create
  wharf tls ca create -domain example -days 3650`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			certPEM, keyPEM, err := tlsutil.GenerateCA(o)
			if err != nil {
				return exitWith(exitError, err)
			}
			certFile, keyFile := tlsutil.CAFileNames(o.Domain)
			if err := writeNewFiles(cmd.OutOrStdout(), "CA", certFile, certPEM, keyFile, keyPEM); err != nil {
				return exitWith(exitError, err)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Domain, "domain", tlsutil.DefaultDomain, "domain of the CA (names its files and the certificates' roles)")
	fl.IntVar(&o.Days, "days", tlsutil.DefaultCADays, "days the CA is valid for")
	fl.StringVar(&o.CommonName, "common-name", "", `common name of the CA (default "<domain> Agent CA")`)
	return cmd
}

// certCreateFlags are the flags of `wharf tls cert create`.
type certCreateFlags struct {
	server, client, cli bool
	region, domain      string
	days                int
	caFile, keyFile     string
	dnsNames, ips       []string
}

func newTLSCertCreateCommand() *cobra.Command {
	var f certCreateFlags
	cmd := &cobra.Command{
		Use:   "create -server|-client|-cli",
		Short: "Create a server, client or cli certificate signed by the CA",
		Long: `Create a certificate for one role, signed by the CA (-ca and -key, by default
<domain>-agent-ca.pem and <domain>-agent-ca-key.pem), and write it to
<region>-<role>-<domain>.pem with its key in <region>-<role>-<domain>-key.pem.

The certificate names its role as server.<region>.<domain>,
client.<region>.<domain> or cli.<region>.<domain>, plus localhost (and
127.0.0.1 for agents) and any -additional-dnsname or -additional-ipaddress.
Server and client certificates are good for serving and dialing; cli
certificates only for dialing. Agents with verify_server_hostname accept
only servers whose certificate holds server.<region>.<domain>.`,
		Example: `  wharf tls cert create -server -additional-ipaddress 10.0.0.11
  wharf tls cert create -client
  wharf tls cert create -cli -region eu`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCertCreate(cmd.OutOrStdout(), f)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.server, "server", false, "create a server certificate")
	fl.BoolVar(&f.client, "client", false, "create a client (node) certificate")
	fl.BoolVar(&f.cli, "cli", false, "create a certificate for the CLI")
	fl.StringVar(&f.region, "region", tlsutil.DefaultRegion, "region of the agents")
	fl.StringVar(&f.domain, "domain", tlsutil.DefaultDomain, "domain of the CA")
	fl.IntVar(&f.days, "days", tlsutil.DefaultCertDays, "days the certificate is valid for")
	fl.StringVar(&f.caFile, "ca", "", "CA certificate file (default <domain>-agent-ca.pem)")
	fl.StringVar(&f.keyFile, "key", "", "CA key file (default <domain>-agent-ca-key.pem)")
	fl.StringSliceVar(&f.dnsNames, "additional-dnsname", nil, "another DNS name the certificate holds (repeatable)")
	fl.StringSliceVar(&f.ips, "additional-ipaddress", nil, "another IP address the certificate holds (repeatable)")
	return cmd
}

func (f certCreateFlags) role() (tlsutil.Role, error) {
	var roles []tlsutil.Role
	for _, r := range []struct {
		on   bool
		role tlsutil.Role
	}{{f.server, tlsutil.RoleServer}, {f.client, tlsutil.RoleClient}, {f.cli, tlsutil.RoleCLI}} {
		if r.on {
			roles = append(roles, r.role)
		}
	}
	if len(roles) != 1 {
		return "", &usageError{errors.New("give exactly one of -server, -client or -cli")}
	}
	return roles[0], nil
}

// roleLabel names a role in the command's output, as Nomad's.
var roleLabel = map[tlsutil.Role]string{tlsutil.RoleServer: "Server", tlsutil.RoleClient: "Client", tlsutil.RoleCLI: "CLI"}

func runCertCreate(out io.Writer, f certCreateFlags) error {
	role, err := f.role()
	if err != nil {
		return err
	}
	ips, err := parseIPs(f.ips)
	if err != nil {
		return &usageError{err}
	}
	defCA, defKey := tlsutil.CAFileNames(f.domain)
	ca, caKey, err := readCA(orString(f.caFile, defCA), orString(f.keyFile, defKey))
	if err != nil {
		return exitWith(exitError, err)
	}
	certPEM, keyPEM, err := tlsutil.GenerateCert(tlsutil.CertOptions{Role: role, Region: f.region, Domain: f.domain,
		Days: f.days, DNSNames: f.dnsNames, IPAddresses: ips, CA: ca, CAKey: caKey})
	if err != nil {
		return exitWith(exitError, err)
	}
	certFile, keyFile := tlsutil.CertFileNames(role, f.region, f.domain)
	if err := writeNewFiles(out, roleLabel[role], certFile, certPEM, keyFile, keyPEM); err != nil {
		return exitWith(exitError, err)
	}
	return nil
}

func readCA(certFile, keyFile string) (*x509.Certificate, crypto.Signer, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, nil, fmt.Errorf("read CA certificate (-ca): %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("read CA key (-key): %w", err)
	}
	return tlsutil.ParseCA(certPEM, keyPEM)
}

func parseIPs(in []string) ([]net.IP, error) {
	var out []net.IP
	for _, s := range in {
		ip := net.ParseIP(strings.TrimSpace(s))
		if ip == nil {
			return nil, fmt.Errorf("-additional-ipaddress: %q is not an IP address", s)
		}
		out = append(out, ip)
	}
	return out, nil
}

func orString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// writeNewFiles writes a certificate (0644) and its key (0600), refusing
// to replace files that exist.
func writeNewFiles(out io.Writer, what, certFile string, certPEM []byte, keyFile string, keyPEM []byte) error {
	for _, f := range []string{certFile, keyFile} {
		if _, err := os.Stat(f); err == nil {
			return fmt.Errorf("%s already exists: remove it or work in another directory", f)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if err := writeExclusive(certFile, certPEM, 0o644); err != nil {
		return err
	}
	if err := writeExclusive(keyFile, keyPEM, 0o600); err != nil {
		_ = os.Remove(certFile)
		return err
	}
	fmt.Fprintf(out, "==> %s certificate saved to: %s\n==> %s key saved to: %s\n", what, certFile, what, keyFile)
	return nil
}

func writeExclusive(name string, b []byte, perm os.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if _, err := f.Write(b); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	return f.Close()
}
