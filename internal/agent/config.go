package agent

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// Config is the agent configuration, as read from an HCL file and flags.
type Config struct {
	// Dev runs every role on this machine with throw-away state unless
	// DataDir is set.
	Dev        bool            `hcl:"dev,optional"`
	DataDir    string          `hcl:"data_dir,optional"`
	BindAddr   string          `hcl:"bind_addr,optional"`
	Region     string          `hcl:"region,optional"`
	Datacenter string          `hcl:"datacenter,optional"`
	Name       string          `hcl:"name,optional"`
	LogLevel   string          `hcl:"log_level,optional"`
	Ports      *Ports          `hcl:"ports,block"`
	Advertise  *Advertise      `hcl:"advertise,block"`
	Server     *ServerConfig   `hcl:"server,block"`
	Client     *ClientConfig   `hcl:"client,block"`
	Registry   *RegistryConfig `hcl:"registry,block"`
	Etcd       *EtcdConfig     `hcl:"etcd,block"`
	Consul     *ConsulConfig   `hcl:"consul,block"`
	DNS        *DNSConfig      `hcl:"dns,block"`
	Ingress    *IngressConfig  `hcl:"ingress,block"`
	ACL        *ACLConfig      `hcl:"acl,block"`
	TLS        *TLSConfig      `hcl:"tls,block"`
	Limits     *LimitsConfig   `hcl:"limits,block"`

	// Version is wharf's version, set by the command line, not the file.
	Version string
}

// Ports are the listening ports.
type Ports struct {
	HTTP int `hcl:"http,optional"`
}

// Advertise are the addresses other agents reach this one at.
type Advertise struct {
	HTTP string `hcl:"http,optional"`
}

// ServerConfig configures the server role.
type ServerConfig struct {
	Enabled         bool   `hcl:"enabled,optional"`
	MinHeartbeatTTL string `hcl:"min_heartbeat_ttl,optional"`
	HeartbeatGrace  string `hcl:"heartbeat_grace,optional"`
	NumSchedulers   int    `hcl:"num_schedulers,optional"`
	// Garbage collection, Nomad's settings (gc_config.go).
	JobGCInterval        string `hcl:"job_gc_interval,optional"`
	JobGCThreshold       string `hcl:"job_gc_threshold,optional"`
	EvalGCThreshold      string `hcl:"eval_gc_threshold,optional"`
	BatchEvalGCThreshold string `hcl:"batch_eval_gc_threshold,optional"`
	NodeGCThreshold      string `hcl:"node_gc_threshold,optional"`
	ACLTokenGCThreshold  string `hcl:"acl_token_gc_threshold,optional"`
}

// ClientConfig configures the client role: the node that runs allocations.
type ClientConfig struct {
	Enabled bool `hcl:"enabled,optional"`
	// Servers are the API addresses of servers (host:port or URLs); the
	// agent's own server when empty and the server role is enabled.
	Servers   []string          `hcl:"servers,optional"`
	NodeClass string            `hcl:"node_class,optional"`
	NodePool  string            `hcl:"node_pool,optional"`
	Meta      map[string]string `hcl:"meta,optional"`
	// NetworkInterface is the interface whose address the node advertises
	// (the loopback interface in -dev, as Nomad's dev mode).
	NetworkInterface string `hcl:"network_interface,optional"`
	// Options are driver options, as Nomad's client options
	// ("driver.raw_exec.enable" = "1").
	Options map[string]string `hcl:"options,optional"`
	// Pot configures the pot driver (jails).
	Pot *PotConfig `hcl:"pot,block"`
	// HostVolumes are the host directories jobs may mount (Nomad's
	// client host_volume blocks); no other host path reaches a jail.
	HostVolumes []*HostVolumeConfig `hcl:"host_volume,block"`
}

// PotConfig configures the pot driver: its jail network and images.
type PotConfig struct {
	// Disabled turns the driver off (it is on by default).
	Disabled bool `hcl:"disabled,optional"`
	// Bridge, Network and NFTTable name the jail network: bridge wharf0,
	// 10.192.0.0/10 and the nftables table "wharf" by default. Agents on
	// one host need separate ones.
	Bridge   string `hcl:"bridge,optional"`
	Network  string `hcl:"network,optional"`
	NFTTable string `hcl:"nft_table,optional"`
	// TrustedKeysFile lists the ed25519 public keys (PEM) images must be
	// signed with; without it signatures are not required.
	TrustedKeysFile string `hcl:"trusted_keys_file,optional"`
	// ProgressDeadline abandons an image download that receives no byte
	// for this long (default 30s); there is no total timeout.
	ProgressDeadline string `hcl:"progress_deadline,optional"`
	// Runc is the OCI runtime binary; "runc" from PATH by default.
	Runc string `hcl:"runc,optional"`
	// AllowHostPorts are agent ports jails may reach on the host (all
	// of the agent's ports but DNS and the ingress are closed to them).
	AllowHostPorts []int `hcl:"allow_host_ports,optional"`
	// Egress is the policy for traffic jails send through the host:
	// "allow" (default) or "deny" (only other jails, the host's open
	// ports and EgressAllow).
	Egress      string   `hcl:"egress,optional"`
	EgressAllow []string `hcl:"egress_allow,optional"`
	// AllowHostNetwork lets jobs run jails with network_mode = "host"
	// (off: such a jail would reach the agent's ports).
	AllowHostNetwork bool `hcl:"allow_host_network,optional"`
}

// RegistryConfig configures the registry role: a plain HTTP file server of
// images with authenticated uploads.
type RegistryConfig struct {
	Enabled bool `hcl:"enabled,optional"`
	// Dir holds the images; <data_dir>/registry by default.
	Dir  string `hcl:"dir,optional"`
	Port int    `hcl:"port,optional"`
	// TokenFile lists upload tokens, one per line; without it the registry
	// is read-only (in -dev a token is generated).
	TokenFile string `hcl:"token_file,optional"`
	// PrivateReads makes reads need a token too (see registry_acl.go).
	PrivateReads bool `hcl:"private_reads,optional"`
}

// RawExecEnabled reports whether the raw_exec driver is enabled: always in
// -dev, else only with options { "driver.raw_exec.enable" = "1" }, as
// Nomad.
func (c *Config) RawExecEnabled() bool {
	if c.Dev {
		return true
	}
	if c.Client == nil {
		return false
	}
	switch c.Client.Options["driver.raw_exec.enable"] {
	case "1", "true":
		return true
	}
	return false
}

// EtcdConfig says where the state lives: an embedded etcd member in the
// data dir (the default), or an external cluster named by Endpoints.
type EtcdConfig struct {
	Endpoints []string `hcl:"endpoints,optional"`
	// Embedded member settings, for 3 or 5 servers forming one cluster.
	Name                string `hcl:"name,optional"`
	ClientURL           string `hcl:"client_url,optional"`
	PeerURL             string `hcl:"peer_url,optional"`
	InitialCluster      string `hcl:"initial_cluster,optional"`
	InitialClusterState string `hcl:"initial_cluster_state,optional"`
	// Join lists servers (host:port or URLs) to ask for membership at the
	// first start (see etcd_join.go).
	Join []string `hcl:"join,optional"`
	// An external cluster's TLS files (the CA that signed its
	// certificates, and a client certificate and key when it requires
	// one) and user; the embedded members use the tls block instead.
	CAFile   string `hcl:"ca_file,optional"`
	CertFile string `hcl:"cert_file,optional"`
	KeyFile  string `hcl:"key_file,optional"`
	Username string `hcl:"username,optional"`
	Password string `hcl:"password,optional"`
	// The embedded member's housekeeping (gc_config.go): its space quota
	// (e.g. "2GiB"), its compaction window and how often it is
	// defragmented.
	QuotaBackendBytes   string `hcl:"quota_backend_bytes,optional"`
	CompactionRetention string `hcl:"compaction_retention,optional"`
	DefragInterval      string `hcl:"defrag_interval,optional"`
}

// DefaultHTTPPort is the API port, as Nomad's.
const DefaultHTTPPort = 4646

// DefaultRegistryPort is the registry role's port.
const DefaultRegistryPort = 9080

// LoadFile reads an agent configuration file. Errors name file:line:col.
func LoadFile(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read agent config: %w", err)
	}
	return Parse(path, src)
}

// Parse reads an agent configuration from src.
func Parse(filename string, src []byte) (*Config, error) {
	p := hclparse.NewParser()
	f, diags := p.ParseHCL(src, filename)
	if diags.HasErrors() {
		return nil, diagError(diags)
	}
	var c Config
	if diags := gohcl.DecodeBody(f.Body, nil, &c); diags.HasErrors() {
		return nil, diagError(diags)
	}
	return &c, nil
}

func diagError(diags hcl.Diagnostics) error {
	var errs []error
	for _, d := range diags {
		if d.Subject != nil {
			errs = append(errs, fmt.Errorf("%s:%d:%d: %s: %s", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, d.Summary, d.Detail))
		} else {
			errs = append(errs, fmt.Errorf("%s: %s", d.Summary, d.Detail))
		}
	}
	return errors.Join(errs...)
}

// Normalize fills defaults and checks values.
func (c *Config) Normalize() error {
	if c.Dev {
		if c.Server == nil {
			c.Server = &ServerConfig{}
		}
		c.Server.Enabled = true
		if c.Client == nil {
			c.Client = &ClientConfig{}
		}
		c.Client.Enabled = true
		if c.Client.NetworkInterface == "" {
			c.Client.NetworkInterface = loopbackInterface()
		}
		if c.Registry == nil {
			c.Registry = &RegistryConfig{}
		}
		c.Registry.Enabled = true
		if c.Datacenter == "" {
			c.Datacenter = "minipot"
		}
		if c.BindAddr == "" {
			c.BindAddr = "127.0.0.1"
		}
	}
	serverOn := c.Server != nil && c.Server.Enabled
	clientOn := c.Client != nil && c.Client.Enabled
	registryOn := c.Registry != nil && c.Registry.Enabled
	if err := c.normalizeIngress(); err != nil {
		return err
	}
	if err := c.normalizeEtcdJoin(); err != nil {
		return err
	}
	if !serverOn && !clientOn && !registryOn && !c.IngressEnabled() {
		return errors.New("no role enabled: set server { enabled = true }, client { enabled = true }, registry { enabled = true } or ingress { enabled = true }, or run -dev, -server or -client")
	}
	if registryOn {
		if c.Registry.Port == 0 {
			c.Registry.Port = DefaultRegistryPort
		}
		if c.Registry.Port < 0 || c.Registry.Port > 65535 {
			return fmt.Errorf("registry.port: %d is not a port", c.Registry.Port)
		}
		if c.Registry.Dir == "" && c.DataDir == "" && !c.Dev {
			return errors.New("registry.dir: required without data_dir")
		}
	}
	if c.Server == nil {
		c.Server = &ServerConfig{}
	}
	if clientOn && !serverOn && len(c.Client.Servers) == 0 {
		return errors.New("client.servers: a client without the server role needs the addresses of servers")
	}
	if c.BindAddr == "" {
		c.BindAddr = "0.0.0.0"
	}
	if c.Region == "" {
		c.Region = "global"
	}
	if c.Datacenter == "" {
		c.Datacenter = "dc1"
	}
	if c.Ports == nil {
		c.Ports = &Ports{}
	}
	if c.Ports.HTTP == 0 {
		c.Ports.HTTP = DefaultHTTPPort
	}
	if c.Ports.HTTP < 0 || c.Ports.HTTP > 65535 {
		return fmt.Errorf("ports.http: %d is not a port", c.Ports.HTTP)
	}
	if c.Etcd == nil {
		c.Etcd = &EtcdConfig{}
	}
	if err := c.normalizeCatalog(serverOn); err != nil {
		return err
	}
	for _, norm := range []func() error{c.normalizeACL, c.normalizeTLS, c.normalizeLimits, c.normalizeHostVolumes, c.normalizeGC} {
		if err := norm(); err != nil {
			return err
		}
	}
	if clientOn && !c.Dev && c.DataDir == "" {
		return errors.New("data_dir: required for a client (it keeps allocation state and logs there)")
	}
	if serverOn && !c.Dev && c.DataDir == "" && len(c.Etcd.Endpoints) == 0 {
		return errors.New("data_dir: required for a server with embedded etcd (or set etcd { endpoints = [...] })")
	}
	for _, d := range []struct{ name, v string }{
		{"server.min_heartbeat_ttl", c.Server.MinHeartbeatTTL}, {"server.heartbeat_grace", c.Server.HeartbeatGrace},
		{"client.pot.progress_deadline", c.PotConfig().ProgressDeadline},
	} {
		if _, err := parseDuration(d.v); err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
	}
	return nil
}

// PotConfig returns the client's pot block, empty when there is none.
func (c *Config) PotConfig() *PotConfig {
	if c.Client == nil || c.Client.Pot == nil {
		return &PotConfig{}
	}
	return c.Client.Pot
}

// HTTPAddr is the address the API listens on.
func (c *Config) HTTPAddr() string {
	return net.JoinHostPort(c.BindAddr, strconv.Itoa(c.Ports.HTTP))
}

func parseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (e.g. \"10s\")", s)
	}
	return d, nil
}

// loopbackInterface names the loopback interface of this OS.
func loopbackInterface() string {
	ifs, err := net.Interfaces()
	if err == nil {
		for _, i := range ifs {
			if i.Flags&net.FlagLoopback != 0 {
				return i.Name
			}
		}
	}
	return "lo"
}
