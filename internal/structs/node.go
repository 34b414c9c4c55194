package structs

import "time"

// Node statuses.
const (
	NodeStatusInit  = "initializing"
	NodeStatusReady = "ready"
	NodeStatusDown  = "down"
)

// Node scheduling eligibility.
const (
	NodeSchedulingEligible   = "eligible"
	NodeSchedulingIneligible = "ineligible"
)

// Dynamic port range Nomad uses by default.
const (
	DefaultMinDynamicPort = 20000
	DefaultMaxDynamicPort = 32000
)

// Node is a client machine that runs allocations.
type Node struct {
	ID string
	// SecretID is the node's secret as the client sends it at
	// registration; the store keeps only SecretHash (HashSecret of it),
	// which no API answer shows.
	SecretID              string `json:",omitempty"`
	SecretHash            string `json:"-"`
	Datacenter            string
	Name                  string
	HTTPAddr              string
	TLSEnabled            bool
	Attributes            map[string]string
	NodeResources         *NodeResources
	ReservedResources     *NodeReservedResources
	Links                 map[string]string
	Meta                  map[string]string
	NodeClass             string
	NodePool              string
	Drain                 bool
	DrainStrategy         *DrainStrategy
	LastDrain             *DrainMetadata
	SchedulingEligibility string
	Status                string
	StatusDescription     string
	StatusUpdatedAt       int64
	Events                []*NodeEvent
	Drivers               map[string]*DriverInfo
	// HostVolumes are the host directories the client's operator declared
	// (client host_volume blocks): the only host paths jobs may mount.
	HostVolumes map[string]*ClientHostVolumeConfig
	CreateIndex uint64
	ModifyIndex uint64
}

// NodeEvent is one thing that happened to a node.
type NodeEvent struct {
	Message     string
	Subsystem   string
	Details     map[string]string
	Timestamp   time.Time
	CreateIndex uint64
}

// NodeResources is what a node offers.
type NodeResources struct {
	Cpu            NodeCpuResources
	Memory         NodeMemoryResources
	Disk           NodeDiskResources
	Networks       []*NetworkResource
	MinDynamicPort int
	MaxDynamicPort int
}

// NodeCpuResources is CPU in MHz shares.
type NodeCpuResources struct {
	CpuShares     int64
	TotalCpuCores uint16
}

// NodeMemoryResources is memory in MB.
type NodeMemoryResources struct {
	MemoryMB int64
}

// NodeDiskResources is disk in MB.
type NodeDiskResources struct {
	DiskMB int64
}

// NodeReservedResources is what the node keeps for itself.
type NodeReservedResources struct {
	Cpu      NodeReservedCpuResources
	Memory   NodeReservedMemoryResources
	Disk     NodeReservedDiskResources
	Networks NodeReservedNetworkResources
}

// NodeReservedCpuResources is reserved CPU.
type NodeReservedCpuResources struct{ CpuShares uint64 }

// NodeReservedMemoryResources is reserved memory.
type NodeReservedMemoryResources struct{ MemoryMB uint64 }

// NodeReservedDiskResources is reserved disk.
type NodeReservedDiskResources struct{ DiskMB uint64 }

// NodeReservedNetworkResources lists host ports the node keeps, e.g. "22,80,8000-8100".
type NodeReservedNetworkResources struct{ ReservedHostPorts string }

// DriverInfo is a driver's fingerprint on a node.
type DriverInfo struct {
	Attributes        map[string]string
	Detected          bool
	Healthy           bool
	HealthDescription string
	UpdateTime        time.Time
}

// NodeListStub is the list form of a node.
type NodeListStub struct {
	Address               string
	ID                    string
	Attributes            map[string]string `json:",omitempty"`
	Datacenter            string
	Name                  string
	NodeClass             string
	NodePool              string
	Version               string
	Drain                 bool
	LastDrain             *DrainMetadata `json:",omitempty"`
	SchedulingEligibility string
	Status                string
	StatusDescription     string
	Drivers               map[string]*DriverInfo
	NodeResources         *NodeResources         `json:",omitempty"`
	ReservedResources     *NodeReservedResources `json:",omitempty"`
	CreateIndex           uint64
	ModifyIndex           uint64
}

// Ready reports whether the node can take new allocations.
func (n *Node) Ready() bool {
	return n.Status == NodeStatusReady && !n.Drain && n.SchedulingEligibility != NodeSchedulingIneligible
}

// Address is the node's IP address as advertised in its attributes.
func (n *Node) Address() string {
	if ip := n.Attributes["unique.network.ip-address"]; ip != "" {
		return ip
	}
	return ""
}

// Stub returns the list form of the node.
func (n *Node) Stub() *NodeListStub {
	return &NodeListStub{
		Address: n.Address(), ID: n.ID, Attributes: n.Attributes, Datacenter: n.Datacenter,
		Name: n.Name, NodeClass: n.NodeClass, NodePool: n.NodePool,
		Version: n.Attributes["nomad.version"], Drain: n.Drain, LastDrain: n.LastDrain,
		SchedulingEligibility: n.SchedulingEligibility, Status: n.Status,
		StatusDescription: n.StatusDescription, Drivers: n.Drivers,
		NodeResources: n.NodeResources, ReservedResources: n.ReservedResources,
		CreateIndex: n.CreateIndex, ModifyIndex: n.ModifyIndex,
	}
}

// Copy returns a shallow copy of the node.
func (n *Node) Copy() *Node {
	if n == nil {
		return nil
	}
	c := *n
	return &c
}
