package netjail

// Leftovers lists what wharf left on the host for bridge and table: veths
// still enslaved to the bridge ("veth NAME") and rules still in the table
// ("rule CHAIN: COMMENT"). A missing bridge or table contributes nothing;
// an empty name skips that part. Tests use it to assert a clean teardown.
func Leftovers(bridge, table string) ([]string, error) {
	var out []string
	if bridge != "" {
		v, err := bridgePorts(bridge)
		if err != nil {
			return nil, err
		}
		out = append(out, v...)
	}
	if table != "" {
		r, err := tableRules(table)
		if err != nil {
			return nil, err
		}
		out = append(out, r...)
	}
	return out, nil
}
