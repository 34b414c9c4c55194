package fingerprint

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// kernelFacts are what the kernel says about itself.
type kernelFacts struct {
	version string
	arch    string
}

// cpuFacts are the CPU's core count, speed in MHz and model.
type cpuFacts struct {
	cores int
	mhz   int
	model string
}

// osReleasePaths are where os-release(5) lives, in order.
var osReleasePaths = []string{"/etc/os-release", "/usr/lib/os-release", "/var/run/os-release"}

// readOSRelease returns ID and VERSION_ID from the first os-release file
// found.
func readOSRelease(paths []string) (name, version string, err error) {
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		defer f.Close()
		kv := parseKeyValues(f)
		return kv["ID"], kv["VERSION_ID"], nil
	}
	return "", "", errors.New("no os-release file")
}

// parseKeyValues reads KEY=value lines, unquoting values.
func parseKeyValues(r io.Reader) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		} else {
			v = strings.Trim(v, `'"`)
		}
		out[strings.TrimSpace(k)] = v
	}
	return out
}

// parseCPUInfo reads Linux's /proc/cpuinfo: the number of processors, the
// highest "cpu MHz" and the model name.
func parseCPUInfo(r io.Reader) (cpuFacts, error) {
	var c cpuFacts
	var mhz float64
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "processor":
			c.cores++
		case "cpu MHz":
			if f, err := strconv.ParseFloat(v, 64); err == nil && f > mhz {
				mhz = f
			}
		case "model name", "Model":
			if c.model == "" {
				c.model = v
			}
		}
	}
	c.mhz = int(mhz + 0.5)
	if err := sc.Err(); err != nil {
		return c, fmt.Errorf("read cpuinfo: %w", err)
	}
	return c, nil
}

// parseMemInfo returns MemTotal from Linux's /proc/meminfo, in bytes.
func parseMemInfo(r io.Reader) (uint64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, err := strconv.ParseUint(fields[1], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("meminfo MemTotal %q: %w", fields[1], err)
			}
			return kb * 1024, nil
		}
	}
	return 0, errors.New("meminfo has no MemTotal")
}

// parseDefaultRoute returns the interface of the default IPv4 route in
// Linux's /proc/net/route (destination and mask 00000000), preferring the
// lowest metric.
func parseDefaultRoute(r io.Reader) (string, error) {
	sc := bufio.NewScanner(r)
	best, bestMetric := "", -1
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 8 || f[1] != "00000000" || f[7] != "00000000" {
			continue
		}
		metric, _ := strconv.Atoi(f[6])
		if bestMetric < 0 || metric < bestMetric {
			best, bestMetric = f[0], metric
		}
	}
	if best == "" {
		return "", errors.New("no default route")
	}
	return best, nil
}
