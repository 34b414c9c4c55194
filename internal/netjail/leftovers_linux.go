package netjail

import (
	"fmt"

	"github.com/google/nftables"
	"github.com/google/nftables/userdata"
	"github.com/vishvananda/netlink"
)

// bridgePorts lists the interfaces enslaved to bridge as "veth NAME".
func bridgePorts(bridge string) ([]string, error) {
	br, err := netlink.LinkByName(bridge)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("netjail: find bridge %s: %w", bridge, err)
	}
	links, err := netlink.LinkList()
	if err != nil {
		return nil, fmt.Errorf("netjail: list links: %w", err)
	}
	var out []string
	for _, l := range links {
		if l.Attrs().MasterIndex == br.Attrs().Index {
			out = append(out, "veth "+l.Attrs().Name)
		}
	}
	return out, nil
}

// tableRules lists the non-static rules of table (family ip) as
// "rule CHAIN: COMMENT", then the anti-spoofing entries of its bridge
// table as "jail VETH IP MAC".
func tableRules(table string) ([]string, error) {
	conn, err := nftables.New()
	if err != nil {
		return nil, fmt.Errorf("netjail: nftables: %w", err)
	}
	jails, err := jailEntries(conn, table)
	if err != nil {
		return nil, err
	}
	t, err := conn.ListTableOfFamily(table, nftables.TableFamilyIPv4)
	if err != nil {
		return jails, nil // no ip table
	}
	chains, err := conn.ListChainsOfTableFamily(nftables.TableFamilyIPv4)
	if err != nil {
		return nil, fmt.Errorf("netjail: list chains: %w", err)
	}
	var out []string
	for _, c := range chains {
		if c.Table.Name != t.Name {
			continue
		}
		rs, err := conn.GetRules(t, c)
		if err != nil {
			return nil, fmt.Errorf("netjail: list rules of %s: %w", c.Name, err)
		}
		for _, r := range rs {
			cm, _ := userdata.GetString(r.UserData, userdata.TypeComment)
			if cm != staticTag {
				out = append(out, "rule "+c.Name+": "+cm)
			}
		}
	}
	return append(out, jails...), nil
}
