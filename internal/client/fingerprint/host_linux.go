package fingerprint

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

func kernelInfo() (kernelFacts, error) {
	k := kernelFacts{arch: unameArch(runtime.GOARCH)}
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return k, err
	}
	k.version = strings.TrimSpace(string(b))
	return k, nil
}

// unameArch maps Go's architecture names to uname -m's on Linux.
func unameArch(goarch string) string {
	switch goarch {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	case "386":
		return "i686"
	}
	return goarch
}

func osRelease() (string, string, error) { return readOSRelease(osReleasePaths) }

// cpuInfo reads /proc/cpuinfo, and the cpufreq maximum when cpuinfo has no
// speed (as on most ARM machines).
func cpuInfo() (cpuFacts, error) {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return cpuFacts{}, err
	}
	defer f.Close()
	c, err := parseCPUInfo(f)
	if c.mhz == 0 {
		if b, ferr := os.ReadFile("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq"); ferr == nil {
			if khz, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
				c.mhz = khz / 1000
			}
		}
	}
	return c, err
}

func memTotal() (uint64, error) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseMemInfo(f)
}

func diskStats(dir string) (total, free uint64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, 0, fmt.Errorf("statfs: %w", err)
	}
	bs := uint64(st.Bsize)
	return st.Blocks * bs, st.Bavail * bs, nil
}

func defaultRouteInterface() (string, error) {
	f, err := os.Open("/proc/net/route")
	if err != nil {
		return "", err
	}
	defer f.Close()
	return parseDefaultRoute(f)
}
