package rule

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
)

// spec describes one matcher: its argument count and its compiler.
type spec struct {
	min, max int // max 0: unbounded
	build    func(args []string) (node, error)
}

// arity describes the argument count for errors.
func (s spec) arity() string {
	switch {
	case s.min == s.max:
		return fmt.Sprintf("takes %d argument(s)", s.min)
	case s.max == 0:
		return fmt.Sprintf("takes at least %d argument(s)", s.min)
	}
	return fmt.Sprintf("takes %d to %d arguments", s.min, s.max)
}

// matchers are looked up by lower-cased name. Headers, HeadersRegexp are
// Traefik v2's names of Header, HeaderRegexp.
var matchers map[string]spec

func init() {
	matchers = map[string]spec{
		"host":          {1, 0, buildHost},
		"hostregexp":    {1, 0, buildHostRegexp},
		"path":          {1, 0, buildPath},
		"pathprefix":    {1, 0, buildPathPrefix},
		"pathregexp":    {1, 0, buildPathRegexp},
		"method":        {1, 0, buildMethod},
		"header":        {2, 2, buildHeader},
		"headers":       {2, 2, buildHeader},
		"headerregexp":  {2, 2, buildHeaderRegexp},
		"headersregexp": {2, 2, buildHeaderRegexp},
		"query":         {1, 0, buildQuery},
		"queryregexp":   {2, 2, buildQueryRegexp},
		"clientip":      {1, 0, buildClientIP},
	}
}

// hostNode matches the request host (port and a trailing dot ignored,
// case-insensitive) against names; "*.example.com" matches one label.
type hostNode struct{ hosts []string }

func buildHost(args []string) (node, error) {
	n := hostNode{}
	for _, a := range args {
		a = strings.ToLower(strings.TrimSuffix(a, "."))
		if a == "" {
			return nil, errors.New("empty host")
		}
		if strings.ContainsAny(a, "/ ") {
			return nil, fmt.Errorf("bad host %q", a)
		}
		n.hosts = append(n.hosts, a)
	}
	return n, nil
}

func (n hostNode) match(r *http.Request) bool {
	h := requestHost(r)
	for _, want := range n.hosts {
		if strings.EqualFold(h, want) || wildcardMatch(h, want) {
			return true
		}
	}
	return false
}

// wildcardMatch reports whether h matches "*.suffix" with one label.
func wildcardMatch(h, want string) bool {
	if len(want) < 3 || want[0] != '*' || want[1] != '.' {
		return false
	}
	suffix := want[1:]
	if len(h) <= len(suffix) || !strings.EqualFold(h[len(h)-len(suffix):], suffix) {
		return false
	}
	return strings.IndexByte(h[:len(h)-len(suffix)], '.') < 0
}

// RequestHost is the host a request is matched by (its Host, without
// port and trailing dot; not lower-cased).
func RequestHost(r *http.Request) string { return requestHost(r) }

// requestHost is the request's host without port and trailing dot.
func requestHost(r *http.Request) string {
	h := r.Host
	if h == "" && r.URL != nil {
		h = r.URL.Host
	}
	if strings.HasPrefix(h, "[") {
		if i := strings.IndexByte(h, ']'); i > 0 {
			return h[1:i]
		}
		return h
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 && strings.IndexByte(h, ':') == i {
		h = h[:i]
	}
	return strings.TrimSuffix(h, ".")
}

// regexpsNode matches a request string against any of several regexps.
type regexpsNode struct {
	res []*regexp.Regexp
	get func(r *http.Request) string
}

func (n regexpsNode) match(r *http.Request) bool {
	s := n.get(r)
	for _, re := range n.res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

func buildHostRegexp(args []string) (node, error) {
	n := regexpsNode{get: requestHost}
	for _, a := range args {
		expr := a
		if isTemplate(a) {
			var err error
			if expr, err = templateRegexp(a, "[^.]+"); err != nil {
				return nil, err
			}
			expr = "^" + expr + "$"
		}
		re, err := compile("(?i)" + expr)
		if err != nil {
			return nil, fmt.Errorf("bad regexp %q: %w", a, err)
		}
		n.res = append(n.res, re)
	}
	return n, nil
}

// requestPath is the request's decoded path.
func requestPath(r *http.Request) string {
	if r.URL == nil {
		return ""
	}
	return r.URL.Path
}

// pathNode matches exact paths, or prefixes when prefix is set.
type pathNode struct {
	paths  []string
	prefix bool
}

func (n pathNode) match(r *http.Request) bool {
	p := requestPath(r)
	for _, want := range n.paths {
		if p == want || n.prefix && strings.HasPrefix(p, want) {
			return true
		}
	}
	return false
}

func buildPath(args []string) (node, error)       { return buildPaths(args, false) }
func buildPathPrefix(args []string) (node, error) { return buildPaths(args, true) }

// buildPaths compiles Path or PathPrefix; v2 templates become regexps.
func buildPaths(args []string, prefix bool) (node, error) {
	plain := pathNode{prefix: prefix}
	re := regexpsNode{get: requestPath}
	for _, a := range args {
		if !strings.HasPrefix(a, "/") {
			return nil, fmt.Errorf("path %q must start with /", a)
		}
		if !isTemplate(a) {
			plain.paths = append(plain.paths, a)
			continue
		}
		expr, err := templateRegexp(a, "[^/]+")
		if err != nil {
			return nil, err
		}
		if !prefix {
			expr += "$"
		}
		c, err := compile("^" + expr)
		if err != nil {
			return nil, fmt.Errorf("bad path template %q: %w", a, err)
		}
		re.res = append(re.res, c)
	}
	switch {
	case len(re.res) == 0:
		return plain, nil
	case len(plain.paths) == 0:
		return re, nil
	}
	return orNode{plain, re}, nil
}

func buildPathRegexp(args []string) (node, error) {
	n := regexpsNode{get: requestPath}
	for _, a := range args {
		re, err := compile(a)
		if err != nil {
			return nil, fmt.Errorf("bad regexp %q: %w", a, err)
		}
		n.res = append(n.res, re)
	}
	return n, nil
}

// methodNode matches the request method, case-insensitively.
type methodNode struct{ methods []string }

func buildMethod(args []string) (node, error) {
	for _, a := range args {
		if a == "" {
			return nil, errors.New("empty method")
		}
	}
	return methodNode{args}, nil
}

func (n methodNode) match(r *http.Request) bool {
	for _, m := range n.methods {
		if strings.EqualFold(r.Method, m) {
			return true
		}
	}
	return false
}

// headerNode matches a header value exactly, or by regexp when re is set.
type headerNode struct {
	key, value string
	re         *regexp.Regexp
}

func buildHeader(args []string) (node, error) {
	if args[0] == "" {
		return nil, errors.New("empty header name")
	}
	return headerNode{key: http.CanonicalHeaderKey(args[0]), value: args[1]}, nil
}

func buildHeaderRegexp(args []string) (node, error) {
	if args[0] == "" {
		return nil, errors.New("empty header name")
	}
	re, err := compile(args[1])
	if err != nil {
		return nil, fmt.Errorf("bad regexp %q: %w", args[1], err)
	}
	return headerNode{key: http.CanonicalHeaderKey(args[0]), re: re}, nil
}

func (n headerNode) match(r *http.Request) bool {
	for _, v := range r.Header[n.key] {
		if n.re == nil && v == n.value || n.re != nil && n.re.MatchString(v) {
			return true
		}
	}
	return false
}

// clientIPNode matches the peer address (RemoteAddr) against prefixes.
type clientIPNode struct{ prefixes []netip.Prefix }

func buildClientIP(args []string) (node, error) {
	n := clientIPNode{}
	for _, a := range args {
		if p, err := netip.ParsePrefix(a); err == nil {
			n.prefixes = append(n.prefixes, p.Masked())
			continue
		}
		ip, err := netip.ParseAddr(a)
		if err != nil {
			return nil, fmt.Errorf("bad IP or CIDR %q", a)
		}
		n.prefixes = append(n.prefixes, netip.PrefixFrom(ip, ip.BitLen()))
	}
	return n, nil
}

func (n clientIPNode) match(r *http.Request) bool {
	ip, ok := remoteIP(r.RemoteAddr)
	if !ok {
		return false
	}
	for _, p := range n.prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// remoteIP parses "ip:port" or a bare IP, unmapping IPv4-in-IPv6.
func remoteIP(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	ip, err := netip.ParseAddr(s)
	return ip.Unmap(), err == nil
}
