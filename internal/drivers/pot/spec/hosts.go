package spec

import (
	"bytes"
	"fmt"
)

// HostsFile renders the jail's /etc/hosts: localhost entries, the jail's
// hostname on ip (omitted when ip is empty) and the extra_hosts entries
// ("name:ip", already validated by ParseConfig; invalid ones are skipped).
// The driver writes it to a file and passes its path as Input.HostsPath.
func HostsFile(hostname, ip string, extra []string) []byte {
	var b bytes.Buffer
	b.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	if ip != "" && hostname != "" {
		fmt.Fprintf(&b, "%s\t%s\n", ip, hostname)
	}
	for _, h := range extra {
		name, addr, err := SplitExtraHost(h)
		if err != nil {
			continue
		}
		fmt.Fprintf(&b, "%s\t%s\n", addr, name)
	}
	return b.Bytes()
}
