package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"path"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// Network modes accepted in the pot config's network_mode key.
const (
	NetworkBridge = "bridge"
	NetworkHost   = "host"
)

// Mount is one "src:dst" entry of the mount, mount_read_only or copy keys:
// Src is a path on the host, Dst a path inside the jail.
type Mount struct {
	Src string `json:"src"`
	Dst string `json:"dst"`
}

// Config is a pot task's driver config block, validated.
type Config struct {
	Image   string
	Pot     string
	Tag     string
	Command string
	// Args are kept exactly as written in the job (quotes included); see
	// ProcessArgs for how they become the process's argv.
	Args []string
	// PortMap maps a network port label to the port inside the jail.
	PortMap map[string]int
	// NetworkMode is NetworkBridge (the default) or NetworkHost.
	NetworkMode    string
	Mounts         []Mount
	MountsReadOnly []Mount
	// Copies are files the driver copies into the rootfs before start;
	// BuildSpec does not turn them into mounts.
	Copies []Mount
	// ExtraHosts are "name:ip" entries for the jail's /etc/hosts.
	ExtraHosts []string
	Attributes map[string]string
}

// ErrConfig wraps every error ParseConfig returns.
var ErrConfig = errors.New("invalid pot config")

// configKeys are the keys ParseConfig accepts, with their parsers.
var configKeys = map[string]func(c *Config, key string, v any) error{
	"image":           func(c *Config, k string, v any) error { return str(k, v, &c.Image) },
	"pot":             func(c *Config, k string, v any) error { return str(k, v, &c.Pot) },
	"tag":             func(c *Config, k string, v any) error { return str(k, v, &c.Tag) },
	"command":         func(c *Config, k string, v any) error { return str(k, v, &c.Command) },
	"network_mode":    func(c *Config, k string, v any) error { return str(k, v, &c.NetworkMode) },
	"args":            func(c *Config, k string, v any) error { return strList(k, v, &c.Args) },
	"extra_hosts":     func(c *Config, k string, v any) error { return strList(k, v, &c.ExtraHosts) },
	"port_map":        parsePortMap,
	"attributes":      parseAttributes,
	"mount":           func(c *Config, k string, v any) error { return mounts(k, v, &c.Mounts) },
	"mount_read_only": func(c *Config, k string, v any) error { return mounts(k, v, &c.MountsReadOnly) },
	"copy":            func(c *Config, k string, v any) error { return mounts(k, v, &c.Copies) },
}

// ParseConfig validates a pot task's driver config block. Values may come
// from HCL or JSON decoding (string lists as []any or []string, numbers as
// float64, int or json.Number; port_map as a map or a list of maps). Errors
// name the offending field, e.g. `config.mount[0]: "/a" must be "src:dst"`.
func ParseConfig(raw map[string]any) (*Config, error) {
	c := &Config{}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parse, ok := configKeys[k]
		if !ok {
			return nil, fmt.Errorf("%w: config.%s: unknown key", ErrConfig, k)
		}
		if raw[k] == nil {
			continue
		}
		if err := parse(c, "config."+k, raw[k]); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return c, nil
}

// validate checks required keys and cross-field rules.
func (c *Config) validate() error {
	for _, f := range []struct{ name, v string }{{"image", c.Image}, {"pot", c.Pot}, {"tag", c.Tag}} {
		if strings.TrimSpace(f.v) == "" {
			return fmt.Errorf("config.%s: missing required key", f.name)
		}
	}
	switch c.NetworkMode {
	case "":
		c.NetworkMode = NetworkBridge
	case NetworkBridge, NetworkHost:
	default:
		return fmt.Errorf("config.network_mode: %q is not \"bridge\" or \"host\"", c.NetworkMode)
	}
	for i, h := range c.ExtraHosts {
		if _, _, err := SplitExtraHost(h); err != nil {
			return fmt.Errorf("config.extra_hosts[%d]: %w", i, err)
		}
	}
	return nil
}

// SplitExtraHost splits an extra_hosts entry "name:ip" (the IP may be IPv6,
// so the split is at the first colon).
func SplitExtraHost(h string) (name string, ip netip.Addr, err error) {
	name, addr, ok := strings.Cut(h, ":")
	if !ok || name == "" || strings.ContainsFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == '#' }) {
		return "", netip.Addr{}, fmt.Errorf("%q must be \"name:ip\" (a name without spaces, control characters or #)", h)
	}
	ip, err = netip.ParseAddr(addr)
	if err != nil {
		return "", netip.Addr{}, fmt.Errorf("%q: %q is not an IP address", h, addr)
	}
	return name, ip, nil
}

// str stores a string value.
func str(key string, v any, dst *string) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("%s: %v is a %T, not a string", key, v, v)
	}
	*dst = s
	return nil
}

// strList stores a list of strings (a single string is a one-item list).
func strList(key string, v any, dst *[]string) error {
	switch l := v.(type) {
	case string:
		*dst = []string{l}
	case []string:
		*dst = append([]string(nil), l...)
	case []any:
		out := make([]string, len(l))
		for i, e := range l {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("%s[%d]: %v is a %T, not a string", key, i, e, e)
			}
			out[i] = s
		}
		*dst = out
	default:
		return fmt.Errorf("%s: %v is a %T, not a list of strings", key, v, v)
	}
	return nil
}

// mounts parses a list of "src:dst" entries; both sides must be absolute.
func mounts(key string, v any, dst *[]Mount) error {
	var l []string
	if err := strList(key, v, &l); err != nil {
		return err
	}
	out := make([]Mount, len(l))
	for i, s := range l {
		src, d, ok := strings.Cut(s, ":")
		if !ok || src == "" || d == "" {
			return fmt.Errorf("%s[%d]: %q must be \"src:dst\"", key, i, s)
		}
		if !path.IsAbs(src) || !path.IsAbs(d) {
			return fmt.Errorf("%s[%d]: %q: src and dst must be absolute paths", key, i, s)
		}
		out[i] = Mount{Src: path.Clean(src), Dst: path.Clean(d)}
	}
	*dst = out
	return nil
}

// objects flattens a map or a list of maps (HCL blocks decode as lists).
func objects(key string, v any) (map[string]any, error) {
	switch m := v.(type) {
	case map[string]any:
		return m, nil
	case map[string]string:
		out := make(map[string]any, len(m))
		for k, s := range m {
			out[k] = s
		}
		return out, nil
	case []any:
		out := map[string]any{}
		for i, e := range m {
			sub, err := objects(fmt.Sprintf("%s[%d]", key, i), e)
			if err != nil {
				return nil, err
			}
			for k, s := range sub {
				out[k] = s
			}
		}
		return out, nil
	case []map[string]any:
		l := make([]any, len(m))
		for i := range m {
			l[i] = m[i]
		}
		return objects(key, l)
	}
	return nil, fmt.Errorf("%s: %v is a %T, not a map", key, v, v)
}

// parsePortMap parses label -> port, ports as strings or numbers.
func parsePortMap(c *Config, key string, v any) error {
	m, err := objects(key, v)
	if err != nil {
		return err
	}
	c.PortMap = make(map[string]int, len(m))
	for label, pv := range m {
		p, err := port(pv)
		if err != nil {
			return fmt.Errorf("%s[%q]: %w", key, label, err)
		}
		c.PortMap[label] = p
	}
	return nil
}

// port converts a port value given as a string or a number.
func port(v any) (int, error) {
	var n float64
	switch p := v.(type) {
	case string:
		i, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return 0, fmt.Errorf("%q is not a port", p)
		}
		n = float64(i)
	case json.Number:
		return port(p.String())
	case float64:
		n = p
	case int:
		n = float64(p)
	case int64:
		n = float64(p)
	default:
		return 0, fmt.Errorf("%v is a %T, not a port", v, v)
	}
	if n != math.Trunc(n) || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%v is not a port (1-65535)", v)
	}
	return int(n), nil
}

// parseAttributes parses a map of scalar values into strings.
func parseAttributes(c *Config, key string, v any) error {
	m, err := objects(key, v)
	if err != nil {
		return err
	}
	c.Attributes = make(map[string]string, len(m))
	for k, av := range m {
		switch a := av.(type) {
		case string:
			c.Attributes[k] = a
		case bool, float64, int, int64, json.Number:
			c.Attributes[k] = fmt.Sprint(a)
		default:
			return fmt.Errorf("%s[%q]: %v is a %T, not a string", key, k, av, av)
		}
	}
	return nil
}
