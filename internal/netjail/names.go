package netjail

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"net"
)

// shortHash returns 12 hex digits of the SHA-256 of s.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}

// JailMAC returns the MAC address of the jail side of allocID's veth: a
// locally administered unicast address derived from the ID, so that the
// anti-spoofing entries can be rebuilt from the ID and the lease alone.
func JailMAC(allocID string) net.HardwareAddr {
	sum := sha256.Sum256([]byte("mac:" + allocID))
	mac := net.HardwareAddr(sum[:6])
	mac[0] = mac[0]&^0x01 | 0x02
	return mac
}

// PortGroup returns the interface group of the host-side veths on bridge,
// derived from its name (never 0, the default group).
func PortGroup(bridge string) uint32 {
	sum := sha256.Sum256([]byte("group:" + bridge))
	return binary.BigEndian.Uint32(sum[:4]) | 1<<31
}

// BridgeMAC returns the MAC of the bridge name: a locally administered
// unicast address derived from the name.
func BridgeMAC(name string) net.HardwareAddr {
	sum := sha256.Sum256([]byte("bridge:" + name))
	mac := net.HardwareAddr(sum[:6])
	mac[0] = mac[0]&^0x01 | 0x02
	return mac
}
