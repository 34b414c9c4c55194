package fingerprint

import (
	"encoding/binary"
	"fmt"
	"net"
	"strings"
	"syscall"
)

func kernelInfo() (kernelFacts, error) {
	var k kernelFacts
	k.arch, _ = syscall.Sysctl("hw.machine")
	v, err := syscall.Sysctl("kern.osrelease")
	if err != nil {
		return k, fmt.Errorf("sysctl kern.osrelease: %w", err)
	}
	k.version = v
	return k, nil
}

// osRelease reads os-release(5) (FreeBSD 13 and later), else names the
// release from kern.osrelease ("14.1-RELEASE").
func osRelease() (string, string, error) {
	if name, version, err := readOSRelease(osReleasePaths); err == nil {
		return name, version, nil
	}
	v, err := syscall.Sysctl("kern.osrelease")
	if err != nil {
		return "freebsd", "", fmt.Errorf("sysctl kern.osrelease: %w", err)
	}
	return "freebsd", v, nil
}

func cpuInfo() (cpuFacts, error) {
	var c cpuFacts
	n, err := syscall.SysctlUint32("hw.ncpu")
	if err != nil {
		return c, fmt.Errorf("sysctl hw.ncpu: %w", err)
	}
	c.cores = int(n)
	if mhz, err := syscall.SysctlUint32("hw.clockrate"); err == nil {
		c.mhz = int(mhz)
	}
	c.model, _ = syscall.Sysctl("hw.model")
	return c, nil
}

// memTotal reads hw.physmem. syscall.Sysctl drops one trailing zero byte,
// so the little-endian value is padded back to 8 bytes.
func memTotal() (uint64, error) {
	s, err := syscall.Sysctl("hw.physmem")
	if err != nil {
		return 0, fmt.Errorf("sysctl hw.physmem: %w", err)
	}
	b := make([]byte, 8)
	copy(b, s)
	return binary.LittleEndian.Uint64(b), nil
}

func diskStats(dir string) (total, free uint64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, 0, fmt.Errorf("statfs: %w", err)
	}
	avail := max(st.Bavail, 0)
	return st.Blocks * st.Bsize, uint64(avail) * st.Bsize, nil
}

// defaultRouteInterface finds the interface holding the source address
// the kernel picks for a route to the internet. Connecting a UDP socket
// sends nothing.
func defaultRouteInterface() (string, error) {
	conn, err := net.Dial("udp4", "192.0.2.1:9")
	if err != nil {
		return "", fmt.Errorf("no default route: %w", err)
	}
	local := conn.LocalAddr().(*net.UDPAddr).IP.String()
	_ = conn.Close()
	ifaces, err := net.Interfaces()
	if err != nil {
		return "", err
	}
	for _, ifc := range ifaces {
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if strings.HasPrefix(a.String(), local+"/") {
				return ifc.Name, nil
			}
		}
	}
	return "", fmt.Errorf("no interface holds %s", local)
}
