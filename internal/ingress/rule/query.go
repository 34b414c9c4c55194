package rule

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// queryNode matches query parameters. Each pair must be present (Traefik
// v2's Query(`k=v`, ...) is an AND); an empty value with any set
// matches the key's presence. re, when set, matches the value instead.
type queryNode struct {
	pairs []queryPair
}

// queryPair is one key and the value it must have.
type queryPair struct {
	key, value string
	any        bool // presence only
	re         *regexp.Regexp
}

// buildQuery reads Traefik v3's Query(`k`, `v`) and Query(`k`) and v2's
// Query(`k=v`, ...).
func buildQuery(args []string) (node, error) {
	if len(args) == 2 && !(strings.Contains(args[0], "=") && strings.Contains(args[1], "=")) {
		if args[0] == "" {
			return nil, errors.New("empty query key")
		}
		return queryNode{[]queryPair{{key: args[0], value: args[1]}}}, nil
	}
	n := queryNode{}
	for _, a := range args {
		k, v, found := strings.Cut(a, "=")
		if k == "" {
			return nil, errors.New("empty query key")
		}
		n.pairs = append(n.pairs, queryPair{key: k, value: v, any: !found})
	}
	return n, nil
}

// buildQueryRegexp reads QueryRegexp(`k`, `re`).
func buildQueryRegexp(args []string) (node, error) {
	if args[0] == "" {
		return nil, errors.New("empty query key")
	}
	re, err := compile(args[1])
	if err != nil {
		return nil, errors.New("bad regexp " + args[1] + ": " + err.Error())
	}
	return queryNode{[]queryPair{{key: args[0], re: re}}}, nil
}

func (n queryNode) match(r *http.Request) bool {
	if r.URL == nil {
		return false
	}
	for _, p := range n.pairs {
		if !p.matchIn(r.URL.RawQuery) {
			return false
		}
	}
	return true
}

// matchIn reports whether the raw query holds the pair, walking it
// without allocating unless a key or value is escaped.
func (p queryPair) matchIn(q string) bool {
	for q != "" {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		k, v, _ := strings.Cut(kv, "=")
		if unescape(k) != p.key {
			continue
		}
		switch {
		case p.any:
			return true
		case p.re != nil:
			if p.re.MatchString(unescape(v)) {
				return true
			}
		case unescape(v) == p.value:
			return true
		}
	}
	return false
}

// unescape decodes a query component; it allocates only when needed.
func unescape(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	u, err := url.QueryUnescape(s)
	if err != nil {
		return s
	}
	return u
}
