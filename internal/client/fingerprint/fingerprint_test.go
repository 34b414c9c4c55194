package fingerprint

import (
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func TestHost(t *testing.T) {
	r := Host(Config{DataDir: t.TempDir(), Version: "0.1.0", NomadVersion: "1.10.0"})
	for _, w := range r.Warnings {
		t.Logf("warning: %s", w)
	}
	for _, k := range []string{"kernel.name", "cpu.arch", "cpu.numcores", "cpu.frequency", "cpu.totalcompute",
		"unique.hostname", "unique.network.ip-address", "nomad.version", "wharf.version"} {
		if r.Attributes[k] == "" {
			t.Errorf("attribute %s missing", k)
		}
	}
	if got := r.Attributes["kernel.name"]; got != runtime.GOOS {
		t.Errorf("kernel.name = %q, want %q", got, runtime.GOOS)
	}
	cores, _ := strconv.Atoi(r.Attributes["cpu.numcores"])
	mhz, _ := strconv.Atoi(r.Attributes["cpu.frequency"])
	total, _ := strconv.ParseInt(r.Attributes["cpu.totalcompute"], 10, 64)
	if cores <= 0 || mhz <= 0 || total != int64(cores*mhz) || r.Resources.Cpu.CpuShares != total {
		t.Errorf("cpu: cores %d mhz %d total %d shares %d", cores, mhz, total, r.Resources.Cpu.CpuShares)
	}
	if int(r.Resources.Cpu.TotalCpuCores) != cores {
		t.Errorf("TotalCpuCores = %d, want %d", r.Resources.Cpu.TotalCpuCores, cores)
	}
	if net.ParseIP(r.Attributes["unique.network.ip-address"]).To4() == nil {
		t.Errorf("ip-address %q is not IPv4", r.Attributes["unique.network.ip-address"])
	}
	if r.Resources.MinDynamicPort != 20000 || r.Resources.MaxDynamicPort != 32000 {
		t.Errorf("dynamic ports %d-%d", r.Resources.MinDynamicPort, r.Resources.MaxDynamicPort)
	}
	if runtime.GOOS == "linux" || runtime.GOOS == "freebsd" {
		if r.Resources.Memory.MemoryMB <= 0 || r.Resources.Disk.DiskMB <= 0 || r.Attributes["kernel.version"] == "" {
			t.Errorf("memory %d MB, disk %d MB, kernel %q", r.Resources.Memory.MemoryMB, r.Resources.Disk.DiskMB,
				r.Attributes["kernel.version"])
		}
	}
}

func TestHostNamedInterface(t *testing.T) {
	r := Host(Config{NetworkInterface: "no-such-interface0"})
	if r.Attributes["unique.network.ip-address"] != "127.0.0.1" || len(r.Warnings) == 0 {
		t.Fatalf("unknown interface: ip %q warnings %v", r.Attributes["unique.network.ip-address"], r.Warnings)
	}
}

func TestParseCPUInfo(t *testing.T) {
	tests := []struct {
		name, in string
		want     cpuFacts
	}{
		{"x86", "processor\t: 0\nmodel name\t: Intel(R) Xeon(R)\ncpu MHz\t\t: 2199.998\n\nprocessor\t: 1\nmodel name\t: Intel(R) Xeon(R)\ncpu MHz\t\t: 2400.002\n",
			cpuFacts{cores: 2, mhz: 2400, model: "Intel(R) Xeon(R)"}},
		{"arm without speed", "processor\t: 0\nBogoMIPS\t: 48.00\n\nprocessor\t: 1\nBogoMIPS\t: 48.00\n",
			cpuFacts{cores: 2}},
		{"empty", "", cpuFacts{}},
	}
	for _, tt := range tests {
		got, err := parseCPUInfo(strings.NewReader(tt.in))
		if err != nil || got != tt.want {
			t.Errorf("%s: got %+v, %v; want %+v", tt.name, got, err, tt.want)
		}
	}
}

func TestParseMemInfo(t *testing.T) {
	got, err := parseMemInfo(strings.NewReader("MemTotal:       16318480 kB\nMemFree:  1 kB\n"))
	if err != nil || got != 16318480*1024 {
		t.Fatalf("got %d, %v", got, err)
	}
	if _, err := parseMemInfo(strings.NewReader("MemFree: 1 kB\n")); err == nil {
		t.Fatal("no error without MemTotal")
	}
}

func TestParseDefaultRoute(t *testing.T) {
	table := "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
		"eth1\t00000000\t0102A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n" +
		"eth0\t00000000\t010011AC\t0003\t0\t0\t100\t00000000\t0\t0\t0\n" +
		"eth0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n"
	if got, err := parseDefaultRoute(strings.NewReader(table)); err != nil || got != "eth0" {
		t.Fatalf("got %q, %v; want eth0", got, err)
	}
	if _, err := parseDefaultRoute(strings.NewReader("Iface\tDestination\n")); err == nil {
		t.Fatal("no error without a default route")
	}
}

func TestReadOSRelease(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "os-release")
	content := "NAME=\"Debian GNU/Linux\"\nID=debian\nVERSION_ID=\"12\"\n# comment\n"
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	name, version, err := readOSRelease([]string{filepath.Join(dir, "missing"), p})
	if err != nil || name != "debian" || version != "12" {
		t.Fatalf("got %q %q %v", name, version, err)
	}
	if _, _, err := readOSRelease([]string{filepath.Join(dir, "missing")}); err == nil {
		t.Fatal("no error without a file")
	}
}

func TestFirstIPv4(t *testing.T) {
	_, lo, _ := net.ParseCIDR("127.0.0.1/8")
	_, v6, _ := net.ParseCIDR("fe80::1/64")
	ip := &net.IPNet{IP: net.ParseIP("10.1.2.3"), Mask: net.CIDRMask(24, 32)}
	if got := firstIPv4([]net.Addr{lo, v6, ip}); got != "10.1.2.3" {
		t.Fatalf("got %q", got)
	}
	if got := firstIPv4([]net.Addr{lo, v6}); got != "" {
		t.Fatalf("got %q, want none", got)
	}
}
