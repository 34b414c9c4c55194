// Package netjail is the jail network of the pot driver: IP address leases
// for allocations (IPAM), the host bridge, the veth pair of each jail and the
// nftables rules for port mappings and outbound masquerading.
//
// The Linux parts use netlink and nftables directly; the package never
// shells out to ip, iptables or nft. It must never import internal/drivers,
// internal/client, internal/server or internal/state: it is a leaf used by
// the pot driver and the agent.
package netjail
