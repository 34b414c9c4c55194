package harness

import (
	"fmt"
	"strconv"
	"strings"
)

// serverHCL is a server's configuration: an embedded etcd member on its
// own address, ACLs as the cluster has them.
func serverHCL(a *Agent, initialCluster string, acl bool) string {
	return fmt.Sprintf(`name       = %q
datacenter = "dc1"
data_dir   = %q
bind_addr  = %q
ports {
  http = %d
}
server {
  enabled = true
}
etcd {
  name            = %q
  client_url      = "http://%s:2379"
  peer_url        = "http://%s:2380"
  initial_cluster = %q
}
acl {
  enabled = %t
}
`, a.Name, a.DataDir, a.IP, HTTPPort, a.Name, a.IP, a.IP, initialCluster, acl)
}

// clientHCL is a client's configuration: every server, raw_exec on, the
// pot driver off (it would make its jail bridge).
func clientHCL(a *Agent, servers []string, acl bool, token string) string {
	return fmt.Sprintf(`name       = %q
datacenter = "dc1"
data_dir   = %q
bind_addr  = %q
ports {
  http = %d
}
client {
  enabled           = true
  servers           = [%s]
  network_interface = "eth0"
  options = {
    "driver.raw_exec.enable" = "1"
  }
  pot {
    disabled = true
  }
}
acl {
  enabled = %t
%s}
`, a.Name, a.DataDir, a.IP, HTTPPort, quoteList(servers), acl, tokenLine(token))
}

// ingressHCL is the ingress agent's configuration.
func ingressHCL(a *Agent, servers []string, acl bool, token string) string {
	return fmt.Sprintf(`name       = %q
datacenter = "dc1"
data_dir   = %q
bind_addr  = %q
ingress {
  enabled = true
  servers = [%s]
}
acl {
  enabled = %t
%s}
`, a.Name, a.DataDir, a.IP, quoteList(servers), acl, tokenLine(token))
}

func tokenLine(token string) string {
	if token == "" {
		return ""
	}
	return "  token = " + strconv.Quote(token) + "\n"
}

func quoteList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}
