package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/agent"
)

// newAgentCommand returns `wharf agent`. It is owned by the agent wiring;
// other commands must not depend on it.
func newAgentCommand() *cobra.Command {
	var (
		configFile   string
		flags        agent.Config
		server       bool
		clientOn     bool
		servers      string
		httpPort     int
		registryPort int
		consulPort   int
		dnsPort      int
		ingressPort  int
		dashPort     int
		endpoints    string
		aclF         *aclFlags
	)
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run a wharf agent (server, or every role with -dev)",
		Long: `Run a wharf agent. An agent holds one or more roles: the server (the
Nomad-shaped API on :4646, the scheduler, and the state in an embedded etcd
member in -data-dir, or in an external etcd cluster) and the client (the node
that runs allocations with its task drivers; raw_exec is enabled only in -dev
or with client { options = { "driver.raw_exec.enable" = "1" } }, as in Nomad).

-dev runs every role on this machine with the walk-through's defaults
(datacenter "minipot", API on 127.0.0.1:4646) and throw-away state, unless
-data-dir is given, in which case the state survives a restart and running
tasks are re-attached by the next agent.`,
		Example: `  # Everything on one machine, state thrown away on exit
  wharf agent -dev

  # Keep the dev state between runs
  wharf agent -dev -data-dir /var/lib/wharf-dev

  # A server from a configuration file
  wharf agent -config /etc/wharf/server.hcl

  # A client node that registers with two servers
  wharf agent -client -data-dir /var/lib/wharf -servers 10.0.0.1:4646,10.0.0.2:4646

  # A server whose state lives in an external etcd cluster
  wharf agent -server -etcd-endpoints http://10.0.0.1:2379,http://10.0.0.2:2379`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := &agent.Config{}
			if configFile != "" {
				c, err := agent.LoadFile(configFile)
				if err != nil {
					return err
				}
				cfg = c
			}
			mergeAgentFlags(cfg, &flags, server, httpPort, endpoints)
			mergeClientFlags(cfg, clientOn, servers)
			if registryPort != 0 {
				if cfg.Registry == nil {
					cfg.Registry = &agent.RegistryConfig{}
				}
				cfg.Registry.Port = registryPort
			}
			mergeCatalogFlags(cfg, consulPort, dnsPort)
			mergeIngressFlags(cfg, ingressPort, dashPort)
			aclF.merge(cfg)
			cfg.Version = Version
			if err := cfg.Normalize(); err != nil {
				return fmt.Errorf("agent configuration: %w", err)
			}
			return runAgent(cmd, cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&configFile, "config", "", "agent configuration file (HCL)")
	f.BoolVar(&flags.Dev, "dev", false, "run every role on this machine with throw-away state")
	f.BoolVar(&server, "server", false, "enable the server role")
	f.BoolVar(&clientOn, "client", false, "enable the client role (runs allocations)")
	f.StringVar(&servers, "servers", "", "with -client: comma-separated addresses of servers")
	f.StringVar(&flags.DataDir, "data-dir", "", "directory for the agent's state")
	f.StringVar(&flags.BindAddr, "bind", "", "address to listen on (default 0.0.0.0; 127.0.0.1 with -dev)")
	f.IntVar(&httpPort, "http-port", 0, "HTTP API port (default 4646; 0 keeps the default)")
	f.StringVar(&flags.Region, "region", "", "region (default global)")
	f.StringVar(&flags.Datacenter, "dc", "", "datacenter (default dc1; minipot with -dev)")
	f.StringVar(&endpoints, "etcd-endpoints", "", "comma-separated URLs of an external etcd cluster")
	f.IntVar(&registryPort, "registry-port", 0, "registry port (default 9080; 0 keeps the default)")
	f.IntVar(&consulPort, "consul-port", 0, "Consul-shaped catalog API port (default 8500; 0 keeps the default)")
	f.IntVar(&dnsPort, "dns-port", 0, "catalog DNS port, UDP and TCP (default 8600; 0 keeps the default)")
	f.IntVar(&ingressPort, "ingress-port", 0, "ingress HTTP entry point port (default 8080; 0 keeps the default)")
	f.IntVar(&dashPort, "dashboard-port", 0, "ingress dashboard port (default 9200; 0 keeps the default)")
	aclF = addACLFlags(f)
	return cmd
}

// mergeAgentFlags lets flags override the configuration file.
func mergeAgentFlags(cfg, flags *agent.Config, server bool, httpPort int, endpoints string) {
	cfg.Dev = cfg.Dev || flags.Dev
	for _, p := range []struct {
		dst *string
		v   string
	}{
		{&cfg.DataDir, flags.DataDir}, {&cfg.BindAddr, flags.BindAddr},
		{&cfg.Region, flags.Region}, {&cfg.Datacenter, flags.Datacenter},
	} {
		if p.v != "" {
			*p.dst = p.v
		}
	}
	if server {
		if cfg.Server == nil {
			cfg.Server = &agent.ServerConfig{}
		}
		cfg.Server.Enabled = true
	}
	if httpPort != 0 {
		if cfg.Ports == nil {
			cfg.Ports = &agent.Ports{}
		}
		cfg.Ports.HTTP = httpPort
	}
	if endpoints != "" {
		if cfg.Etcd == nil {
			cfg.Etcd = &agent.EtcdConfig{}
		}
		cfg.Etcd.Endpoints = strings.Split(endpoints, ",")
	}
}

// mergeCatalogFlags applies -consul-port and -dns-port.
func mergeCatalogFlags(cfg *agent.Config, consulPort, dnsPort int) {
	if consulPort != 0 {
		if cfg.Consul == nil {
			cfg.Consul = &agent.ConsulConfig{}
		}
		cfg.Consul.Port = consulPort
	}
	if dnsPort != 0 {
		if cfg.DNS == nil {
			cfg.DNS = &agent.DNSConfig{}
		}
		cfg.DNS.Port = dnsPort
	}
}

// mergeIngressFlags applies -ingress-port and -dashboard-port.
func mergeIngressFlags(cfg *agent.Config, port, dashPort int) {
	if port == 0 && dashPort == 0 {
		return
	}
	if cfg.Ingress == nil {
		cfg.Ingress = &agent.IngressConfig{}
	}
	if port != 0 {
		cfg.Ingress.Port = port
	}
	if dashPort != 0 {
		cfg.Ingress.DashboardPort = dashPort
	}
}

// mergeClientFlags applies -client and -servers.
func mergeClientFlags(cfg *agent.Config, on bool, servers string) {
	if !on && servers == "" {
		return
	}
	if cfg.Client == nil {
		cfg.Client = &agent.ClientConfig{}
	}
	cfg.Client.Enabled = cfg.Client.Enabled || on
	if servers != "" {
		cfg.Client.Servers = strings.Split(servers, ",")
	}
}

// runAgent starts the agent, prints where it listens and waits for a
// signal to stop it.
func runAgent(cmd *cobra.Command, cfg *agent.Config) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: logLevel(cfg.LogLevel)}))
	a, err := agent.Start(ctx, cfg, log)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "==> wharf agent started\n")
	fmt.Fprintf(out, "       Region: %s (datacenter %s)\n", cfg.Region, cfg.Datacenter)
	fmt.Fprintf(out, "     Data dir: %s\n", a.DataDir())
	if addr := a.HTTPAddr(); addr != "" {
		s := agentScheme(cfg, true)
		fmt.Fprintf(out, "     HTTP API: %s://%s  (export WHARF_ADDR=%s://%s%s)\n", s, addr, s, addr, caHint(cfg))
	}
	if addr := a.RegistryAddr(); addr != "" {
		fmt.Fprintf(out, "     Registry: %s://%s", agentScheme(cfg, false), addr)
		if f := a.RegistryTokenFile(); f != "" {
			fmt.Fprintf(out, "  (upload token in %s)", f)
		}
		fmt.Fprintln(out)
	}
	if addr := a.ConsulAddr(); addr != "" {
		s := agentScheme(cfg, false)
		fmt.Fprintf(out, "   Consul API: %s://%s  (export CONSUL_HTTP_ADDR=%s://%s)\n", s, addr, s, addr)
	}
	if addr := a.DNSAddr(); addr != "" {
		fmt.Fprintf(out, "          DNS: %s (udp, tcp)\n", addr)
	}
	if addr := a.IngressAddr(); addr != "" {
		fmt.Fprintf(out, "      Ingress: http://%s  (Host: <service>.%s)\n", addr, cfg.Ingress.Domain)
	}
	if addr := a.IngressTLSAddr(); addr != "" {
		fmt.Fprintf(out, "  Ingress TLS: https://%s\n", addr)
	}
	if addr := a.DashboardAddr(); addr != "" {
		fmt.Fprintf(out, "    Dashboard: http://%s  (export WHARF_INGRESS_DASHBOARD=http://%s)\n", addr, addr)
	}
	fmt.Fprintf(out, "        Roles: %s\n", strings.Join(a.Roles(), ", "))
	if id := a.NodeID(); id != "" {
		fmt.Fprintf(out, "         Node: %s (drivers: %s)\n", id, strings.Join(a.Drivers(), ", "))
	}
	fmt.Fprintf(out, "==> Press Ctrl-C to stop\n")
	<-ctx.Done()
	fmt.Fprintf(out, "==> Shutting down\n")
	return a.Shutdown()
}

func logLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}
