package jail

import (
	"errors"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// resources builds the cgroup limits: memory, cpu, pids and devices.
func resources(in Input) (*specs.LinuxResources, error) {
	mem, err := memory(in.MemoryMB, in.MemoryMaxMB)
	if err != nil {
		return nil, err
	}
	pids := in.PidsLimit
	if pids <= 0 {
		pids = DefaultPidsLimit
	}
	return &specs.LinuxResources{
		Devices: defaultDevices(),
		Memory:  mem,
		CPU:     cpu(in),
		Pids:    &specs.LinuxPids{Limit: &pids},
	}, nil
}

// memory limits the jail to MemoryMaxMB when it exceeds MemoryMB (with
// MemoryMB as the soft reservation), else to MemoryMB; swap is not given.
func memory(mb, maxMB int64) (*specs.LinuxMemory, error) {
	if mb <= 0 {
		return nil, errors.New("resources.memory must be positive")
	}
	const mib = 1 << 20
	limit := mb * mib
	m := &specs.LinuxMemory{}
	if maxMB > mb {
		limit = maxMB * mib
		reservation := mb * mib
		m.Reservation = &reservation
	}
	swap := limit
	m.Limit, m.Swap = &limit, &swap
	return m, nil
}

// cpu turns the reserved MHz into cpu.shares: mhz*1024/(total/cores), so a
// core's worth of MHz weighs 1024 like one Docker --cpus; without node
// figures shares = mhz (Nomad's docker driver's choice). Shares are
// clamped to [2, 262144]. With CPUHardLimit the quota is
// mhz*period*cores/total µs per CPUPeriod.
func cpu(in Input) *specs.LinuxCPU {
	mhz := in.CPUMHz
	if mhz <= 0 {
		return nil
	}
	shares := mhz
	perCore := int64(0)
	if in.CPUTotalMHz > 0 && in.CPUCores > 0 {
		perCore = in.CPUTotalMHz / in.CPUCores
	}
	if perCore > 0 {
		shares = mhz * 1024 / perCore
	}
	shares = min(max(shares, minShares), maxShares)
	s := uint64(shares)
	c := &specs.LinuxCPU{Shares: &s}
	if in.CPUHardLimit && perCore > 0 {
		period := uint64(CPUPeriod)
		quota := max(mhz*CPUPeriod/perCore, 1000)
		c.Period, c.Quota = &period, &quota
	}
	return c
}
