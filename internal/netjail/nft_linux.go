package netjail

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sort"
	"sync"

	"github.com/google/nftables"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"
)

// NAT owns one nftables table (family ip) holding the port-mapping DNAT
// rules of the jails and the masquerade rules of the jail network.
type NAT struct {
	mu     sync.Mutex
	conn   *nftables.Conn
	table  *nftables.Table
	pre    *nftables.Chain
	out    *nftables.Chain
	post   *nftables.Chain
	bridge string
	cidr   *net.IPNet
	// brTable and brSet are the anti-spoofing table and set of the jails.
	brTable *nftables.Table
	brSet   *nftables.Set
}

// NewNAT creates or adopts the table (DefaultTable when empty) for the jail
// network cidr on bridge, and rewrites its fixed masquerade rules. Port
// mapping rules already in the table are kept; call Reconcile to prune them.
func NewNAT(table, bridge string, cidr *net.IPNet) (*NAT, error) {
	if table == "" {
		table = DefaultTable
	}
	if cidr == nil || cidr.IP.To4() == nil {
		return nil, errors.New("netjail: nat needs an IPv4 jail network")
	}
	conn, err := nftables.New()
	if err != nil {
		return nil, fmt.Errorf("netjail: nftables: %w", err)
	}
	n := &NAT{conn: conn, bridge: bridge, cidr: cidr}
	n.table = conn.AddTable(&nftables.Table{Name: table, Family: nftables.TableFamilyIPv4})
	n.pre = n.addChain("prerouting", nftables.ChainHookPrerouting, nftables.ChainPriorityNATDest)
	n.out = n.addChain("output", nftables.ChainHookOutput, nftables.ChainPriorityNATDest)
	n.post = n.addChain("postrouting", nftables.ChainHookPostrouting, nftables.ChainPriorityNATSource)
	conn.FlushChain(n.post)
	for _, exprs := range masqRules(bridge, cidr) {
		conn.AddRule(&nftables.Rule{Table: n.table, Chain: n.post, Exprs: exprs, UserData: comment(staticTag)})
	}
	n.setupAntiSpoof()
	if err := conn.Flush(); err != nil {
		return nil, fmt.Errorf("netjail: set up table %s: %w", table, err)
	}
	return n, nil
}

// addChain queues a NAT base chain of the table.
func (n *NAT) addChain(name string, hook *nftables.ChainHook, prio *nftables.ChainPriority) *nftables.Chain {
	return n.conn.AddChain(&nftables.Chain{
		Name: name, Table: n.table, Type: nftables.ChainTypeNAT, Hooknum: hook, Priority: prio,
	})
}

// AddPortMap adds TCP and UDP DNAT rules for each mapping of allocID, for
// traffic to any local address (127.0.0.1, the node address, the gateway).
func (n *NAT) AddPortMap(allocID string, ms []Mapping) error {
	if allocID == "" {
		return errors.New("netjail: empty allocation id")
	}
	for _, m := range ms {
		if m.HostPort <= 0 || m.HostPort > 65535 || m.Port <= 0 || m.Port > 65535 || m.IP.To4() == nil {
			return fmt.Errorf("netjail: bad port mapping %d -> %s:%d", m.HostPort, m.IP, m.Port)
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, m := range ms {
		for _, proto := range []byte{unix.IPPROTO_TCP, unix.IPPROTO_UDP} {
			exprs := dnatRule(proto, m)
			for _, c := range []*nftables.Chain{n.pre, n.out} {
				n.conn.AddRule(&nftables.Rule{Table: n.table, Chain: c, Exprs: exprs, UserData: comment(allocTag + allocID)})
			}
		}
	}
	if err := n.conn.Flush(); err != nil {
		return fmt.Errorf("netjail: add port maps of %s: %w", allocID, err)
	}
	return nil
}

// RemovePortMaps deletes every rule tagged with allocID (the
// anti-spoofing entry of its jail stays: see ForbidJail).
func (n *NAT) RemovePortMaps(allocID string) error {
	_, err := n.deleteWhere(func(id string) bool { return id == allocID })
	return err
}

// Reconcile deletes the rules and anti-spoofing entries of allocations
// not in live and returns the sorted IDs of those that had rules.
func (n *NAT) Reconcile(live map[string]bool) ([]string, error) {
	veths := map[string]bool{}
	for id := range live {
		veths[HostVethName(id)] = true
	}
	if _, err := n.pruneJails(func(v string) bool { return !veths[v] }); err != nil {
		return nil, err
	}
	return n.deleteWhere(func(id string) bool { return !live[id] })
}

// Allocs returns the sorted IDs of allocations that have rules in the table.
func (n *NAT) Allocs() ([]string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	rules, err := n.allocRules()
	if err != nil {
		return nil, err
	}
	return sortedIDs(rules), nil
}

// DeleteTable removes the whole table; a missing table is not an error.
func (n *NAT) DeleteTable() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return deleteTable(n.conn, n.table.Name)
}

// DeleteTable removes the wharf table name (families ip and bridge) if
// it exists.
func DeleteTable(name string) error {
	conn, err := nftables.New()
	if err != nil {
		return fmt.Errorf("netjail: nftables: %w", err)
	}
	return deleteTable(conn, name)
}

// deleteTable removes the tables called name (families ip and bridge)
// from conn when present.
func deleteTable(conn *nftables.Conn, name string) error {
	found := false
	for _, f := range []nftables.TableFamily{nftables.TableFamilyIPv4, nftables.TableFamilyBridge} {
		if t, err := conn.ListTableOfFamily(name, f); err == nil {
			conn.DelTable(t)
			found = true
		}
	}
	if !found {
		return nil // missing tables
	}
	if err := conn.Flush(); err != nil {
		return fmt.Errorf("netjail: delete table %s: %w", name, err)
	}
	return nil
}

// deleteWhere deletes the allocation rules whose ID matches and returns
// the matching IDs.
func (n *NAT) deleteWhere(match func(id string) bool) ([]string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	rules, err := n.allocRules()
	if err != nil {
		return nil, err
	}
	hit := map[string][]*nftables.Rule{}
	for id, rs := range rules {
		if !match(id) {
			continue
		}
		hit[id] = rs
		for _, r := range rs {
			if err := n.conn.DelRule(r); err != nil {
				return nil, fmt.Errorf("netjail: delete rule of %s: %w", id, err)
			}
		}
	}
	if len(hit) == 0 {
		return nil, nil
	}
	if err := n.conn.Flush(); err != nil {
		return nil, fmt.Errorf("netjail: delete rules: %w", err)
	}
	return sortedIDs(hit), nil
}

// allocRules returns the rules of the DNAT chains grouped by allocation ID.
func (n *NAT) allocRules() (map[string][]*nftables.Rule, error) {
	out := map[string][]*nftables.Rule{}
	for _, c := range []*nftables.Chain{n.pre, n.out} {
		rs, err := n.conn.GetRules(n.table, c)
		if err != nil {
			return nil, fmt.Errorf("netjail: list rules of %s: %w", c.Name, err)
		}
		for _, r := range rs {
			c, _ := userdata.GetString(r.UserData, userdata.TypeComment)
			if id, ok := allocOfComment(c); ok {
				out[id] = append(out[id], r)
			}
		}
	}
	return out, nil
}

// sortedIDs returns the sorted keys of m.
func sortedIDs(m map[string][]*nftables.Rule) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// comment returns rule userdata holding the comment s, as nft shows it.
func comment(s string) []byte { return userdata.AppendString(nil, userdata.TypeComment, s) }

// be16 returns v as two big-endian bytes.
func be16(v int) []byte {
	b := make([]byte, 2)
	binary.BigEndian.PutUint16(b, uint16(v))
	return b
}
