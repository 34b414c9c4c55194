package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// tagPrefix is the prefix of the tags Build reads, as Traefik's default.
const tagPrefix = "traefik."

// tagSet is what the tags of one catalog service say, before defaults.
type tagSet struct {
	enable      *bool
	errs        []string // tags that break every router of the service
	warns       []string // tags ignored, shown on every router
	routers     map[string]*routerTags
	services    map[string]*serviceTags
	middlewares map[string]*middlewareTags
	labels      map[string]string // every tag, key to value, for DefaultRule
}

// routerTags are the traefik.http.routers.<name>.* tags.
type routerTags struct {
	rule        string
	priority    int
	entryPoints []string
	middlewares []string
	service     string
	tls         bool
	errs, warns []string
}

// serviceTags are the traefik.http.services.<name>.* tags.
type serviceTags struct {
	port           int
	scheme         string
	passHostHeader *bool
	sticky         *Sticky
	errs, warns    []string
}

// middlewareTags are the traefik.http.middlewares.<name>.* tags.
type middlewareTags struct {
	kind           string
	stripPrefix    []string
	redirectScheme string
	permanent      bool
	errs, warns    []string
}

// parseTags reads the Traefik tags among tags; other tags are ignored.
// Option names are case-insensitive; router, service and middleware names
// keep their case.
func parseTags(tags []string) *tagSet {
	ts := &tagSet{routers: map[string]*routerTags{}, services: map[string]*serviceTags{},
		middlewares: map[string]*middlewareTags{}, labels: map[string]string{}}
	for _, tag := range tags {
		key, value, _ := strings.Cut(tag, "=")
		key = strings.TrimSpace(key)
		ts.labels[key] = value
		if len(key) < len(tagPrefix) || !strings.EqualFold(key[:len(tagPrefix)], tagPrefix) {
			continue
		}
		ts.parse(tag, strings.Split(key[len(tagPrefix):], "."), strings.TrimSpace(value))
	}
	return ts
}

// parse files one tag whose key (after "traefik.") is parts.
func (ts *tagSet) parse(tag string, parts []string, value string) {
	if len(parts) == 1 && strings.EqualFold(parts[0], "enable") {
		b, err := strconv.ParseBool(value)
		if err != nil {
			ts.errs = append(ts.errs, tagErr(tag, "traefik.enable must be true or false"))
			return
		}
		ts.enable = &b
		return
	}
	if !strings.EqualFold(parts[0], "http") {
		return // tcp, udp, consulcatalog, Traefik v1 tags: not ours
	}
	if len(parts) < 4 || parts[2] == "" {
		ts.warns = append(ts.warns, tagErr(tag, "unknown key; ignored"))
		return
	}
	name, opt := parts[2], strings.ToLower(strings.Join(parts[3:], "."))
	switch strings.ToLower(parts[1]) {
	case "routers":
		r := getOrNew(ts.routers, name)
		r.errs, r.warns = appendTagErr(r.errs, r.warns, tag, r.set(opt, value))
	case "services":
		s := getOrNew(ts.services, name)
		s.errs, s.warns = appendTagErr(s.errs, s.warns, tag, s.set(opt, value))
	case "middlewares":
		m := getOrNew(ts.middlewares, name)
		m.errs, m.warns = appendTagErr(m.errs, m.warns, tag, m.set(opt, value))
	default:
		ts.warns = append(ts.warns, tagErr(tag, "unknown key; ignored"))
	}
}

// getOrNew returns m[name], adding a zero value first when missing.
func getOrNew[T any](m map[string]*T, name string) *T {
	v := m[name]
	if v == nil {
		v = new(T)
		m[name] = v
	}
	return v
}

// ignored is an error value meaning the tag is known but has no effect.
type ignored string

// Error returns the reason.
func (e ignored) Error() string { return string(e) }

// appendTagErr files err under errs, or under warns when it is ignored.
func appendTagErr(errs, warns []string, tag string, err error) ([]string, []string) {
	switch e := err.(type) {
	case nil:
	case ignored:
		warns = append(warns, tagErr(tag, e.Error()))
	default:
		errs = append(errs, tagErr(tag, err.Error()))
	}
	return errs, warns
}

// tagErr formats a problem with a tag.
func tagErr(tag, reason string) string {
	return fmt.Sprintf("tag %q: %s", tag, reason)
}

// set applies one router option.
func (r *routerTags) set(opt, value string) error {
	var err error
	switch {
	case opt == "rule":
		r.rule = value
	case opt == "priority":
		if r.priority, err = strconv.Atoi(value); err != nil || r.priority < 0 {
			return fmt.Errorf("priority must be a non-negative integer")
		}
	case opt == "entrypoints":
		r.entryPoints = splitList(value)
	case opt == "middlewares":
		r.middlewares = splitList(value)
	case opt == "service":
		r.service = value
	case opt == "tls":
		if r.tls, err = strconv.ParseBool(value); err != nil {
			return fmt.Errorf("tls must be true or false")
		}
	case strings.HasPrefix(opt, "tls."):
		r.tls = true
		return ignored("TLS options are not supported (certificates come from the entry point's files); ignored")
	case opt == "rulesyntax" || strings.HasPrefix(opt, "observability."):
		return ignored("not supported; ignored")
	default:
		return fmt.Errorf("unknown router option %q", opt)
	}
	return nil
}

// set applies one service option (all under loadbalancer.).
func (s *serviceTags) set(opt, value string) error {
	opt, ok := strings.CutPrefix(opt, "loadbalancer.")
	if !ok {
		return fmt.Errorf("unknown service option %q", opt)
	}
	var err error
	switch {
	case opt == "server.port":
		if s.port, err = strconv.Atoi(value); err != nil || s.port < 1 || s.port > 65535 {
			return fmt.Errorf("port must be a number from 1 to 65535")
		}
	case opt == "server.scheme":
		s.scheme = strings.ToLower(value)
		if s.scheme != "http" && s.scheme != "https" && s.scheme != "h2c" {
			return fmt.Errorf("scheme must be http, https or h2c")
		}
	case opt == "passhostheader":
		b, err := strconv.ParseBool(value)
		if err != nil {
			return fmt.Errorf("passhostheader must be true or false")
		}
		s.passHostHeader = &b
	case opt == "sticky" || strings.HasPrefix(opt, "sticky."):
		return s.setSticky(strings.TrimPrefix(strings.TrimPrefix(opt, "sticky"), "."), value)
	case strings.HasPrefix(opt, "healthcheck."):
		return ignored("the catalog's health checks decide; ignored")
	case strings.HasPrefix(opt, "responseforwarding.") || opt == "serverstransport" || opt == "server.weight":
		return ignored("not supported; ignored")
	default:
		return fmt.Errorf("unknown service option %q", "loadbalancer."+opt)
	}
	return nil
}

// setSticky applies sticky, sticky.cookie and sticky.cookie.* options.
func (s *serviceTags) setSticky(opt, value string) error {
	if s.sticky == nil {
		s.sticky = &Sticky{}
	}
	switch opt {
	case "", "cookie":
		on, err := strconv.ParseBool(value)
		if err != nil && value != "" {
			return fmt.Errorf("sticky must be true or false")
		}
		if err == nil && !on {
			s.sticky = nil
		}
		return nil
	case "cookie.name":
		s.sticky.CookieName = value
		return nil
	case "cookie.secure", "cookie.httponly":
		b, err := strconv.ParseBool(value)
		if err != nil {
			return fmt.Errorf("%s must be true or false", opt)
		}
		if opt == "cookie.secure" {
			s.sticky.Secure = b
		} else {
			s.sticky.HTTPOnly = b
		}
		return nil
	case "cookie.samesite", "cookie.maxage", "cookie.path", "cookie.domain":
		return ignored("not supported; ignored")
	}
	return fmt.Errorf("unknown sticky option %q", opt)
}

// set applies one middleware option ("<type>.<option>").
func (m *middlewareTags) set(opt, value string) error {
	kind, opt, _ := strings.Cut(opt, ".")
	if m.kind != "" && m.kind != kind {
		return fmt.Errorf("a middleware has one type; it is already %s", m.kind)
	}
	m.kind = kind
	switch kind + "." + opt {
	case "stripprefix.prefixes":
		m.stripPrefix = splitList(value)
		for _, p := range m.stripPrefix {
			if !strings.HasPrefix(p, "/") {
				return fmt.Errorf("prefix %q must start with /", p)
			}
		}
	case "stripprefix.forceslash":
		return ignored("deprecated in Traefik; ignored")
	case "redirectscheme.scheme":
		m.redirectScheme = strings.ToLower(value)
		if m.redirectScheme != "http" && m.redirectScheme != "https" {
			return fmt.Errorf("scheme must be http or https")
		}
	case "redirectscheme.permanent":
		b, err := strconv.ParseBool(value)
		if err != nil {
			return fmt.Errorf("permanent must be true or false")
		}
		m.permanent = b
	case "redirectscheme.port":
		return ignored("not supported (the redirect keeps the default port of the scheme); ignored")
	default:
		if kind != "stripprefix" && kind != "redirectscheme" {
			return fmt.Errorf("unsupported middleware type %q (stripprefix and redirectscheme are)", kind)
		}
		return fmt.Errorf("unknown %s option %q", kind, opt)
	}
	return nil
}

// splitList splits a comma-separated tag value, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// sortedKeys returns the keys of m in order.
func sortedKeys[T any](m map[string]T) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
