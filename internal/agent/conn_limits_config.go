package agent

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Defaults of the connection, descriptor and upload limits (the limits
// block's second section):
//
//	limits {
//	  max_conns_api       = 0         # per listener; 0: from the descriptor budget
//	  max_conns_consul    = 0
//	  max_conns_ingress   = 0         # every entry point of the ingress together
//	  max_conns_dashboard = 0
//	  max_conns_registry  = 0
//	  max_conns_dns       = 0         # the DNS server's TCP connections
//	  max_conns_per_client = 100      # one client IP's on the API, Consul-shaped API, registry, dashboard; -1: none
//	  handshake_timeout   = "10s"     # a new connection's TLS handshake and first request head
//	  idle_timeout        = "180s"    # a keep-alive connection between requests
//	  registry_max_upload = "8GiB"    # one uploaded image file (413 beyond)
//	  image_max_unpacked  = "16GiB"   # the files of one image's rootfs
//	  disk_reserve        = "256MiB"  # free space the data dir keeps: writes get 503 below it
//	}
const (
	DefaultHandshakeTimeout  = 10 * time.Second
	DefaultIdleTimeout       = 180 * time.Second
	DefaultRegistryMaxUpload = int64(8) << 30
	DefaultImageMaxUnpacked  = int64(16) << 30
	DefaultDiskReserve       = int64(256) << 20
	// DefaultMaxConnsPerClient is Nomad's http_max_conns_per_client.
	DefaultMaxConnsPerClient = 100
)

// ConnLimits are the connection, descriptor and upload limits in force,
// with the defaults filled in (caps of 0 come from the descriptor budget
// at start).
type ConnLimits struct {
	MaxConns map[string]int
	// PerClient caps one client IP's connections to the API, the
	// Consul-shaped API, the registry and the dashboard; 0 means none.
	PerClient         int
	HandshakeTimeout  time.Duration
	IdleTimeout       time.Duration
	RegistryMaxUpload int64
	ImageMaxUnpacked  int64
	DiskReserve       int64
}

// normalizeConnLimits checks the limits block's second section.
func (c *Config) normalizeConnLimits() error {
	_, err := c.ConnLimits()
	return err
}

// ConnLimits returns the connection, descriptor and upload limits of the
// configuration, or an error naming the bad field.
func (c *Config) ConnLimits() (ConnLimits, error) {
	l := c.Limits
	if l == nil {
		l = &LimitsConfig{}
	}
	out := ConnLimits{MaxConns: map[string]int{}}
	for _, f := range []struct {
		name string
		role string
		v    int
	}{{"max_conns_api", "api", l.MaxConnsAPI}, {"max_conns_consul", "consul", l.MaxConnsConsul},
		{"max_conns_ingress", "ingress", l.MaxConnsIngress}, {"max_conns_dashboard", "dashboard", l.MaxConnsDashboard},
		{"max_conns_registry", "registry", l.MaxConnsRegistry}, {"max_conns_dns", "dns", l.MaxConnsDNS}} {
		if f.v < 0 {
			return out, fmt.Errorf("limits.%s: %d is negative (0 takes the share of the descriptor budget)", f.name, f.v)
		}
		if f.v > 0 {
			out.MaxConns[f.role] = f.v
		}
	}
	switch pc := l.MaxConnsPerClient; {
	case pc < -1:
		return out, fmt.Errorf("limits.max_conns_per_client: %d is negative (-1 takes the cap off, 0 is the default of %d)", pc, DefaultMaxConnsPerClient)
	case pc == 0:
		out.PerClient = DefaultMaxConnsPerClient
	case pc > 0:
		out.PerClient = pc
	}
	for _, d := range []struct {
		name string
		v    string
		dst  *time.Duration
		def  time.Duration
	}{{"handshake_timeout", l.HandshakeTimeout, &out.HandshakeTimeout, DefaultHandshakeTimeout},
		{"idle_timeout", l.IdleTimeout, &out.IdleTimeout, DefaultIdleTimeout}} {
		v, err := parseDuration(d.v)
		if err != nil || v < 0 {
			return out, fmt.Errorf("limits.%s: %q is not a positive duration (e.g. \"10s\")", d.name, d.v)
		}
		*d.dst = v
		if v == 0 {
			*d.dst = d.def
		}
	}
	for _, s := range []struct {
		name string
		v    string
		dst  *int64
		def  int64
	}{{"registry_max_upload", l.RegistryMaxUpload, &out.RegistryMaxUpload, DefaultRegistryMaxUpload},
		{"image_max_unpacked", l.ImageMaxUnpacked, &out.ImageMaxUnpacked, DefaultImageMaxUnpacked},
		{"disk_reserve", l.DiskReserve, &out.DiskReserve, DefaultDiskReserve}} {
		v, err := ParseSize(s.v)
		if err != nil {
			return out, fmt.Errorf("limits.%s: %w", s.name, err)
		}
		*s.dst = v
		if s.v == "" {
			*s.dst = s.def
		}
	}
	return out, nil
}

// sizeUnits are the suffixes ParseSize knows, longest first.
var sizeUnits = []struct {
	suffix string
	mult   int64
}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000}, {"TB", 1000 * 1000 * 1000 * 1000},
	{"B", 1}}

// ParseSize reads a size such as "512MiB", "8GiB", "100MB" or "4096"
// (bytes); "" is 0.
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	num, mult := s, int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(s, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size (e.g. \"512MiB\", \"8GiB\" or a number of bytes)", s)
	}
	if n > (1<<62)/mult {
		return 0, errors.New(s + " is too large")
	}
	return n * mult, nil
}

// FormatSize writes n bytes as the largest binary unit that divides it.
func FormatSize(n int64) string {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.mult && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}
