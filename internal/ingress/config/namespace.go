package config

import (
	"cmp"
	"fmt"
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
// name itself in the default namespace, else "<name>.<ns>". Namespace
// names hold no dot, so a pool name's namespace is what follows its last
// dot; and the default namespace's names that end in another namespace's
// name are not routed (namespaceSet.aliases, see groupInstances) nor
// referred to from its tags (scope), so the names of two namespaces never
// meet: "web.prod" is namespace prod's web whenever prod has services,
// never a default-namespace service called "web.prod". The default rule
// becomes Host(`<name>.<ns>.<domain>`).
func poolName(ns, name string) string {
	if isDefaultNamespace(ns) {
		return name
	}
	return name + "." + ns
}

// namespaceSet is the set of the non-default namespaces of instances,
// lower-cased.
type namespaceSet map[string]bool

// namespacesOf lists the non-default namespaces of instances.
func namespacesOf(instances []Instance) namespaceSet {
	set := namespaceSet{}
	for _, in := range instances {
		if !isDefaultNamespace(in.Namespace) {
			set[strings.ToLower(in.Namespace)] = true
		}
	}
	return set
}

// aliases reports whether name, a default-namespace name, would be taken
// for a name of another namespace: it holds a dot and what follows its
// last dot is a namespace that has services ("web.prod", registered
// through the Consul-shaped API, is namespace prod's web). Such names
// yield to the namespace's, whoever came first.
func (set namespaceSet) aliases(name string) bool {
	i := strings.LastIndexByte(name, '.')
	return i >= 0 && set[strings.ToLower(name[i+1:])]
}

// scope renames what the tags of a catalog service in namespace ns define
// (routers, services, middlewares) and the references between them, so
// that they name only that namespace's: a router of namespace prod saying
// service=web uses "web.prod", never the default namespace's web. In the
// default namespace, where names stay as they are, a reference holding a
// dot and another namespace's name would name that namespace's service or
// middleware: it breaks the router that makes it.
func (ts *tagSet) scope(ns string, others namespaceSet) {
	if isDefaultNamespace(ns) {
		for _, rt := range ts.routers {
			for _, ref := range append([]string{rt.service}, rt.middlewares...) {
				if name, _, _ := strings.Cut(ref, "@"); others.aliases(name) {
					rt.errs = append(rt.errs, fmt.Sprintf("%s names what another namespace defines: a router refers only to its own namespace's services and middlewares", ref))
				}
			}
		}
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

// home reports whether host h lies under the namespace's own default-rule
// domain ("<name>.<ns>.<domain>"), which no other namespace may take.
func (b *builder) home(c claimant, h string) bool {
	d := b.opts.Domain
	return d != "" && !isDefaultNamespace(c.ns) && strings.HasSuffix(h, "."+strings.ToLower(c.ns)+"."+strings.ToLower(d))
}

// before orders claimants of host h: the namespace whose default-rule
// domain holds h first, then the default namespace, then the one
// registered first (the smallest CreateIndex), then by namespace name, so
// the order is total and never depends on the order of the catalog's
// answers.
func (b *builder) before(h string, c, o claimant) bool {
	if ch, oh := b.home(c, h), b.home(o, h); ch != oh {
		return ch
	}
	cd, od := isDefaultNamespace(c.ns), isDefaultNamespace(o.ns)
	if cd != od {
		return cd
	}
	return cmp.Or(cmp.Compare(c.first, o.first), cmp.Compare(c.ns, o.ns)) < 0
}

// claimHosts lets one namespace hold each host: when enabled routers of
// different namespaces match the same exact host, the routers of the
// namespace ranked first (before) keep it and the others are disabled
// with an error naming the namespace that holds it. Routers of one
// namespace share hosts as before (priority decides). Every held host is
// listed in Config.Hosts, so that the proxy never lets a router of
// another namespace match it, whatever its rule's shape.
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
			if prev, seen := holder[h]; !seen || b.before(h, c, prev) {
				holder[h] = c
			}
		}
	}
	for _, name := range sortedKeys(hostsOf) {
		r, c := b.c.Routers[name], b.claimants[name]
		for _, h := range hostsOf[name] {
			if hold := holder[h]; hold.ns != c.ns {
				r.disable("host %s is held by namespace %s", h, hold.ns)
			}
		}
	}
	if len(holder) > 0 {
		b.c.Hosts = make(map[string]string, len(holder))
		for h, c := range holder {
			b.c.Hosts[h] = c.ns
		}
	}
}

// namespaceOf names namespace ns, "" being the default one.
func namespaceOf(ns string) string { return cmp.Or(ns, defaultNamespace) }
