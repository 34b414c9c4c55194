// Package fingerprint detects what a client node is and offers: its OS
// and kernel, CPU, memory, disk under the data dir, host name and
// address, as Nomad's attribute names (kernel.name, cpu.totalcompute,
// unique.network.ip-address...) and as the node's schedulable resources.
// Jobs constrain on these attributes, e.g. ${attr.kernel.name}.
//
// OS-specific probes live in files with an OS suffix (_linux.go,
// _freebsd.go, _other.go); every probe that fails leaves its attributes
// out and adds a warning, with fallbacks where the scheduler needs a
// value (1000 MHz per core, 127.0.0.1).
//
// fingerprint must never import any other wharf package except
// internal/structs.
package fingerprint

import (
	"fmt"
	"os"
	"runtime"
	"strconv"

	"github.com/wharf-project/wharf/internal/structs"
)

// DefaultCPUMHz is the speed assumed for a core whose frequency is unknown.
const DefaultCPUMHz = 1000

// Config says what to fingerprint.
type Config struct {
	// DataDir is where allocations live; its file system gives the disk.
	DataDir string
	// NetworkInterface, when set, is the interface whose first IPv4
	// address the node advertises, instead of the default route's.
	NetworkInterface string
	// Version is wharf's version (attribute wharf.version).
	Version string
	// NomadVersion is the Nomad version wharf's API matches (attribute
	// nomad.version, which jobs and tools written for Nomad read).
	NomadVersion string
}

// Result is a host's fingerprint.
type Result struct {
	Attributes map[string]string
	Resources  *structs.NodeResources
	// Warnings name the probes that failed.
	Warnings []string
}

// Host fingerprints this machine.
func Host(cfg Config) *Result {
	r := &Result{Attributes: map[string]string{}, Resources: &structs.NodeResources{
		MinDynamicPort: structs.DefaultMinDynamicPort, MaxDynamicPort: structs.DefaultMaxDynamicPort}}
	r.set("cpu.arch", runtime.GOARCH)
	r.set("wharf.version", cfg.Version)
	r.set("nomad.version", cfg.NomadVersion)
	r.hostname()
	r.kernel()
	r.os()
	r.cpu()
	r.memory()
	r.disk(cfg.DataDir)
	r.network(cfg.NetworkInterface)
	return r
}

func (r *Result) set(k, v string) {
	if v != "" {
		r.Attributes[k] = v
	}
}

func (r *Result) warn(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

func (r *Result) hostname() {
	h, err := os.Hostname()
	if err != nil {
		r.warn("host name: %v", err)
		return
	}
	r.set("unique.hostname", h)
}

func (r *Result) kernel() {
	k, err := kernelInfo()
	if err != nil {
		r.warn("kernel: %v", err)
	}
	r.set("kernel.name", runtime.GOOS)
	r.set("kernel.version", k.version)
	r.set("kernel.arch", k.arch)
}

func (r *Result) os() {
	name, version, err := osRelease()
	if err != nil {
		r.warn("os release: %v", err)
	}
	r.set("os.name", name)
	r.set("os.version", version)
}

// cpu sets the CPU attributes and resources: total compute is cores times
// MHz, with DefaultCPUMHz when the speed is unknown.
func (r *Result) cpu() {
	c, err := cpuInfo()
	if err != nil {
		r.warn("cpu: %v", err)
	}
	if c.cores <= 0 {
		c.cores = runtime.NumCPU()
	}
	if c.mhz <= 0 {
		c.mhz = DefaultCPUMHz
	}
	total := int64(c.cores) * int64(c.mhz)
	r.set("cpu.numcores", strconv.Itoa(c.cores))
	r.set("cpu.frequency", strconv.Itoa(c.mhz))
	r.set("cpu.totalcompute", strconv.FormatInt(total, 10))
	r.set("cpu.modelname", c.model)
	r.Resources.Cpu = structs.NodeCpuResources{CpuShares: total, TotalCpuCores: uint16(min(c.cores, 65535))}
}

func (r *Result) memory() {
	total, err := memTotal()
	if err != nil || total == 0 {
		r.warn("memory: %v", err)
		return
	}
	r.set("memory.totalbytes", strconv.FormatUint(total, 10))
	r.Resources.Memory.MemoryMB = int64(total / (1 << 20))
}

// disk reports the file system holding dir; what is free there is what
// allocations may use.
func (r *Result) disk(dir string) {
	if dir == "" {
		return
	}
	total, free, err := diskStats(dir)
	if err != nil {
		r.warn("disk of %s: %v", dir, err)
		return
	}
	r.set("unique.storage.bytestotal", strconv.FormatUint(total, 10))
	r.set("unique.storage.bytesfree", strconv.FormatUint(free, 10))
	r.Resources.Disk.DiskMB = int64(free / (1 << 20))
}
