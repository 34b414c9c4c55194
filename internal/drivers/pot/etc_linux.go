package pot

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/wharf-project/wharf/internal/drivers/pot/spec"
)

// writeEtcFiles writes the jail's /etc/hosts (its hostname on its address
// and extra_hosts) and /etc/resolv.conf, and points the spec at them.
func (d *Driver) writeEtcFiles(j *jail, in *spec.Input, conf *spec.Config) error {
	ip := j.IP
	if conf.NetworkMode == spec.NetworkHost {
		ip = "127.0.1.1"
	}
	hosts := filepath.Join(j.Dir, "hosts")
	if err := os.WriteFile(hosts, spec.HostsFile(in.Hostname, ip, conf.ExtraHosts), 0o644); err != nil {
		return fmt.Errorf("pot: write hosts: %w", err)
	}
	in.HostsPath = hosts
	resolv := filepath.Join(j.Dir, "resolv.conf")
	if err := os.WriteFile(resolv, resolvConf(conf.NetworkMode == spec.NetworkHost), 0o644); err != nil {
		return fmt.Errorf("pot: write resolv.conf: %w", err)
	}
	in.ResolvConfPath = resolv
	return nil
}

// resolvConf is the host's resolv.conf; in a bridged jail, loopback name
// servers (a local stub resolver the jail cannot reach) are left out.
func resolvConf(host bool) []byte {
	data, err := os.ReadFile("/etc/resolv.conf")
	if err != nil || host {
		return data
	}
	var out bytes.Buffer
	for _, line := range bytes.Split(data, []byte("\n")) {
		f := bytes.Fields(line)
		if len(f) >= 2 && string(f[0]) == "nameserver" && (bytes.HasPrefix(f[1], []byte("127.")) || string(f[1]) == "::1") {
			continue
		}
		out.Write(line)
		out.WriteByte('\n')
	}
	return bytes.TrimRight(out.Bytes(), "\n")
}
