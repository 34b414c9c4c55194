package netjail

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

// DefaultCIDR is the default jail network, the same range pot uses.
const DefaultCIDR = "10.192.0.0/10"

// ErrExhausted is returned by Lease when no address is left in the range.
var ErrExhausted = errors.New("netjail: address range exhausted")

// leaseFileName is the name of the lease file inside the state directory.
const leaseFileName = "ipam.json"

// IPAM leases IPv4 addresses of one network, one per allocation ID, and
// persists them in a JSON file so leases survive agent restarts. The first
// address after the network address is the gateway and is never leased.
type IPAM struct {
	mu     sync.Mutex
	net    *net.IPNet
	path   string
	leases map[string]string // alloc ID -> IP
	next   uint32            // offset of the next candidate address
}

// leaseFile is the on-disk form of the lease table.
type leaseFile struct {
	CIDR   string            `json:"cidr"`
	Leases map[string]string `json:"leases"`
}

// NewIPAM returns an IPAM for cidr (DefaultCIDR when empty) whose leases
// are stored under stateDir, loading any leases persisted earlier.
func NewIPAM(cidr, stateDir string) (*IPAM, error) {
	if cidr == "" {
		cidr = DefaultCIDR
	}
	_, n, err := net.ParseCIDR(cidr)
	if err != nil {
		return nil, fmt.Errorf("netjail: parse cidr %q: %w", cidr, err)
	}
	if n.IP.To4() == nil {
		return nil, fmt.Errorf("netjail: cidr %q is not IPv4", cidr)
	}
	ones, bits := n.Mask.Size()
	if bits-ones < 2 {
		return nil, fmt.Errorf("netjail: cidr %q is too small", cidr)
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("netjail: state dir: %w", err)
	}
	m := &IPAM{net: n, path: filepath.Join(stateDir, leaseFileName), leases: map[string]string{}}
	if err := m.load(); err != nil {
		return nil, err
	}
	return m, nil
}

// Network returns the leased network.
func (m *IPAM) Network() *net.IPNet {
	return &net.IPNet{IP: append(net.IP(nil), m.net.IP...), Mask: m.net.Mask}
}

// Gateway returns the gateway address: the first host address of the network.
func (m *IPAM) Gateway() net.IP { return m.addr(1) }

// GatewayCIDR returns the gateway with the network prefix, e.g. "10.192.0.1/10".
func (m *IPAM) GatewayCIDR() string {
	ones, _ := m.net.Mask.Size()
	return fmt.Sprintf("%s/%d", m.Gateway(), ones)
}

// Lease returns the address leased to allocID, leasing a free one first if
// it has none. It is idempotent and returns ErrExhausted when the range is full.
func (m *IPAM) Lease(allocID string) (net.IP, error) {
	if allocID == "" {
		return nil, errors.New("netjail: empty allocation id")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if ip, ok := m.leases[allocID]; ok {
		return net.ParseIP(ip).To4(), nil
	}
	ip, err := m.free()
	if err != nil {
		return nil, err
	}
	m.leases[allocID] = ip.String()
	if err := m.save(); err != nil {
		delete(m.leases, allocID)
		return nil, err
	}
	return ip, nil
}

// Release drops the lease of allocID; releasing an unknown ID is a no-op.
func (m *IPAM) Release(allocID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.leases[allocID]; !ok {
		return nil
	}
	delete(m.leases, allocID)
	return m.save()
}

// Reconcile drops the leases of allocations not in live and returns their IDs.
func (m *IPAM) Reconcile(live map[string]bool) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var dropped []string
	for id := range m.leases {
		if !live[id] {
			dropped = append(dropped, id)
			delete(m.leases, id)
		}
	}
	sort.Strings(dropped)
	if len(dropped) == 0 {
		return nil, nil
	}
	return dropped, m.save()
}

// Leases returns a copy of the lease table, alloc ID to address.
func (m *IPAM) Leases() map[string]net.IP {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]net.IP, len(m.leases))
	for id, ip := range m.leases {
		out[id] = net.ParseIP(ip).To4()
	}
	return out
}

// size returns the number of addresses in the network.
func (m *IPAM) size() uint32 {
	ones, bits := m.net.Mask.Size()
	return uint32(1) << uint(bits-ones)
}

// addr returns the address at offset off in the network.
func (m *IPAM) addr(off uint32) net.IP {
	base := binary.BigEndian.Uint32(m.net.IP.To4())
	ip := make(net.IP, 4)
	binary.BigEndian.PutUint32(ip, base+off)
	return ip
}

// free finds an unleased host address, scanning from the last position so
// freshly released addresses are not reused at once.
func (m *IPAM) free() (net.IP, error) {
	used := make(map[string]bool, len(m.leases))
	for _, ip := range m.leases {
		used[ip] = true
	}
	size := m.size()
	hosts := size - 3 // network, gateway, broadcast
	if uint32(len(used)) >= hosts {
		return nil, fmt.Errorf("%w: %s", ErrExhausted, m.net)
	}
	for i := uint32(0); i < hosts; i++ {
		off := 2 + (m.next+i)%hosts
		ip := m.addr(off)
		if !used[ip.String()] {
			m.next = (off - 2 + 1) % hosts
			return ip, nil
		}
	}
	return nil, fmt.Errorf("%w: %s", ErrExhausted, m.net)
}

// load reads the lease file, if any; leases outside the network are dropped.
func (m *IPAM) load() error {
	b, err := os.ReadFile(m.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("netjail: read leases: %w", err)
	}
	var f leaseFile
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("netjail: parse %s: %w", m.path, err)
	}
	for id, s := range f.Leases {
		if ip := net.ParseIP(s); ip != nil && m.net.Contains(ip) {
			m.leases[id] = ip.To4().String()
		}
	}
	return nil
}

// save writes the lease file atomically (temp file, fsync, rename).
func (m *IPAM) save() error {
	b, err := json.MarshalIndent(leaseFile{CIDR: m.net.String(), Leases: m.leases}, "", "  ")
	if err != nil {
		return fmt.Errorf("netjail: encode leases: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(m.path), leaseFileName+".*")
	if err != nil {
		return fmt.Errorf("netjail: write leases: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("netjail: write leases: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("netjail: sync leases: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("netjail: close leases: %w", err)
	}
	if err := os.Rename(tmp.Name(), m.path); err != nil {
		return fmt.Errorf("netjail: rename leases: %w", err)
	}
	return nil
}
