package config

import (
	"cmp"
	"strings"

	"github.com/wharf-project/wharf/internal/ingress/rule"
)

// defaultNamespace is the namespace whose names the ingress keeps as they
// are ("web@catalog", Host(`web.minipot`)).
const defaultNamespace = "default"

// isDefaultNamespace reports whether ns is the default namespace ("" is
// taken as it, for callers that do not set one).
func isDefaultNamespace(ns string) bool { return ns == "" || ns == defaultNamespace }

// poolName is the name of the catalog service name in namespace ns: the
// name itself in the default namespace, else "<name>.<ns>". Task service
// names and namespace names hold no dot, so the names of two namespaces
// never meet, and the default rule becomes Host(`<name>.<ns>.<domain>`).
func poolName(ns, name string) string {
	if isDefaultNamespace(ns) {
		return name
	}
	return name + "." + ns
}

// scope renames what the tags of a catalog service in namespace ns define
// (routers, services, middlewares) and the references between them, so
// that they name only that namespace's: a router of namespace prod saying
// service=web uses "web.prod", never the default namespace's web.
func (ts *tagSet) scope(ns string) {
	if isDefaultNamespace(ns) {
		return
	}
	ts.routers = renameKeys(ts.routers, ns)
	ts.services = renameKeys(ts.services, ns)
	ts.middlewares = renameKeys(ts.middlewares, ns)
	for _, rt := range ts.routers {
		if rt.service != "" {
			rt.service = scopedRef(rt.service, ns)
		}
		for i, m := range rt.middlewares {
			rt.middlewares[i] = scopedRef(m, ns)
		}
	}
}

// renameKeys returns m with every key k renamed poolName(ns, k).
func renameKeys[V any](m map[string]V, ns string) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[poolName(ns, k)] = v
	}
	return out
}

// scopedRef scopes a reference to a service or middleware ("name" or
// "name@catalog"); a reference to another provider stays as it is (and is
// refused by resolve).
func scopedRef(ref, ns string) string {
	name, provider, found := strings.Cut(ref, "@")
	if found && provider != providerName {
		return ref
	}
	return poolName(ns, name)
}

// claimant is the namespace a router belongs to and the rank of its
// catalog service for host claims.
type claimant struct {
	ns string
	// first is the smallest CreateIndex of the catalog service's
	// instances: when it was registered.
	first uint64
}

// before orders claimants: the default namespace first, then the one
// registered first, then by namespace name (so the order is total).
func (c claimant) before(o claimant) bool {
	cd, od := isDefaultNamespace(c.ns), isDefaultNamespace(o.ns)
	if cd != od {
		return cd
	}
	return cmp.Or(cmp.Compare(c.first, o.first), cmp.Compare(c.ns, o.ns)) < 0
}

// claimHosts lets one namespace hold each host: when enabled routers of
// different namespaces match the same exact host, the routers of the
// namespace ranked first (claimant.before) keep it and the others are
// disabled with an error naming the namespace that holds it. Routers of
// one namespace share hosts as before (priority decides).
func (b *builder) claimHosts() {
	holder := map[string]claimant{}
	hostsOf := map[string][]string{}
	for _, name := range sortedKeys(b.c.Routers) {
		r := b.c.Routers[name]
		if r.Status == StatusDisabled {
			continue
		}
		parsed, err := rule.Parse(r.Rule)
		if err != nil {
			continue
		}
		hosts, ok := parsed.Hosts()
		if !ok {
			continue
		}
		hostsOf[name] = hosts
		c := b.claimants[name]
		for _, h := range hosts {
			if prev, seen := holder[h]; !seen || c.before(prev) {
				holder[h] = c
			}
		}
	}
	for _, name := range sortedKeys(hostsOf) {
		r, c := b.c.Routers[name], b.claimants[name]
		for _, h := range hostsOf[name] {
			if hold := holder[h]; hold.ns != c.ns {
				r.disable("host %s is held by namespace %s", h, cmp.Or(hold.ns, defaultNamespace))
			}
		}
	}
}
