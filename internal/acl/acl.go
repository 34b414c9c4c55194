package acl

import (
	"sort"
	"strings"
)

// capSet is a set of namespace capabilities.
type capSet map[string]bool

// globRule is a namespace rule whose name holds a glob.
type globRule struct {
	pattern string
	caps    capSet
}

// prefixRule is a service_prefix rule.
type prefixRule struct {
	prefix string
	level  string
}

// ACL is what a token may do: the merge of its policies. The zero of each
// rule is deny. An ACL is immutable and safe for concurrent use.
type ACL struct {
	management bool
	exactNS    map[string]capSet
	globNS     []globRule
	node       string
	agent      string
	operator   string
	plugin     string
	quota      string
	registry   string
	services   map[string]string
	prefixes   []prefixRule
}

// ManagementACL allows everything.
var ManagementACL = &ACL{management: true}

// DisabledACL allows everything too: it is what a token resolves to where
// the servers have ACLs off. It is a distinct value so that a check that
// must not open up without ACLs (the registry's uploads, which then keep
// to their own upload tokens) can tell it from a management token.
var DisabledACL = &ACL{management: true}

// New merges policies into one ACL. Where several rules apply to the same
// thing, deny wins over everything, then write over read; namespace
// capabilities of rules with the same name add up.
func New(policies []*Policy) *ACL {
	a := &ACL{exactNS: map[string]capSet{}, services: map[string]string{}}
	globs := map[string]capSet{}
	prefixes := map[string]string{}
	for _, p := range policies {
		for _, ns := range p.Namespaces {
			target := a.exactNS
			if strings.Contains(ns.Name, "*") {
				target = globs
			}
			set := target[ns.Name]
			if set == nil {
				set = capSet{}
				target[ns.Name] = set
			}
			for _, c := range ns.expand() {
				set[c] = true
			}
		}
		a.node = mergeLevel(a.node, p.Node)
		a.agent = mergeLevel(a.agent, p.Agent)
		a.operator = mergeLevel(a.operator, p.Operator)
		a.plugin = mergeLevel(a.plugin, p.Plugin)
		a.quota = mergeLevel(a.quota, p.Quota)
		a.registry = mergeLevel(a.registry, p.Registry)
		for _, s := range p.Services {
			a.services[s.Name] = stronger(a.services[s.Name], s.Policy)
		}
		for _, s := range p.ServicePrefixes {
			prefixes[s.Name] = stronger(prefixes[s.Name], s.Policy)
		}
	}
	for pattern, caps := range globs {
		a.globNS = append(a.globNS, globRule{pattern, caps})
	}
	sort.Slice(a.globNS, func(i, j int) bool { return a.globNS[i].pattern < a.globNS[j].pattern })
	for p, l := range prefixes {
		a.prefixes = append(a.prefixes, prefixRule{p, l})
	}
	// Longest prefix first: the most specific rule decides.
	sort.Slice(a.prefixes, func(i, j int) bool { return len(a.prefixes[i].prefix) > len(a.prefixes[j].prefix) })
	return a
}

func mergeLevel(cur string, r *LevelRule) string {
	if r == nil {
		return cur
	}
	return stronger(cur, r.Policy)
}

// levelRank orders levels for merging: deny beats everything.
var levelRank = map[string]int{"": 0, PolicyList: 1, PolicyRead: 2, PolicyWrite: 3, PolicyDeny: 4}

func stronger(a, b string) string {
	if levelRank[b] > levelRank[a] {
		return b
	}
	return a
}

// IsManagement reports whether the ACL is a management token's.
func (a *ACL) IsManagement() bool { return a.management }

// AllowNamespaceOperation reports whether capability op is granted in
// namespace ns. An exact rule for ns decides alone; otherwise the closest
// matching glob rule (the one matching with the fewest extra characters)
// does. A deny capability denies everything.
func (a *ACL) AllowNamespaceOperation(ns, op string) bool {
	if a.management {
		return true
	}
	caps := a.namespaceCaps(ns)
	return caps != nil && !caps[CapDeny] && caps[op]
}

// AllowNamespace reports whether any capability is granted in ns.
func (a *ACL) AllowNamespace(ns string) bool {
	if a.management {
		return true
	}
	caps := a.namespaceCaps(ns)
	return len(caps) > 0 && !caps[CapDeny]
}

func (a *ACL) namespaceCaps(ns string) capSet {
	if caps, ok := a.exactNS[ns]; ok {
		return caps
	}
	var best capSet
	bestDiff := -1
	for _, g := range a.globNS {
		if !globMatch(g.pattern, ns) {
			continue
		}
		diff := len(ns) - len(strings.ReplaceAll(g.pattern, "*", ""))
		if bestDiff < 0 || diff < bestDiff {
			best, bestDiff = g.caps, diff
		}
	}
	return best
}

// globMatch reports whether s matches pattern, where * matches any run of
// characters (also none).
func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}

func allowRead(level string) bool  { return level == PolicyRead || level == PolicyWrite }
func allowWrite(level string) bool { return level == PolicyWrite }

// AllowNodeRead reports whether nodes may be read.
func (a *ACL) AllowNodeRead() bool { return a.management || allowRead(a.node) }

// AllowNodeWrite reports whether nodes may be changed (drain,
// eligibility, registration of a new node).
func (a *ACL) AllowNodeWrite() bool { return a.management || allowWrite(a.node) }

// AllowAgentRead reports whether the agent's own endpoints may be read.
func (a *ACL) AllowAgentRead() bool { return a.management || allowRead(a.agent) }

// AllowAgentWrite reports whether the agent may be changed.
func (a *ACL) AllowAgentWrite() bool { return a.management || allowWrite(a.agent) }

// AllowOperatorRead reports whether cluster-level state may be read.
func (a *ACL) AllowOperatorRead() bool { return a.management || allowRead(a.operator) }

// AllowOperatorWrite reports whether cluster-level state may be changed.
func (a *ACL) AllowOperatorWrite() bool { return a.management || allowWrite(a.operator) }

// AllowPluginRead reports whether plugins may be read.
func (a *ACL) AllowPluginRead() bool {
	return a.management || a.plugin == PolicyRead
}

// AllowQuotaRead reports whether quotas may be read.
func (a *ACL) AllowQuotaRead() bool { return a.management || allowRead(a.quota) }

// AllowRegistryRead reports whether the image registry may be read when
// its operator turned anonymous reads off.
func (a *ACL) AllowRegistryRead() bool { return a.management || allowRead(a.registry) }

// AllowRegistryWrite reports whether images may be uploaded to and
// deleted from the registry.
func (a *ACL) AllowRegistryWrite() bool { return a.management || allowWrite(a.registry) }

// AllowServiceRead reports whether catalog service name may be read.
func (a *ACL) AllowServiceRead(name string) bool {
	return a.management || allowRead(a.serviceLevel(name))
}

// AllowServiceWrite reports whether instances of catalog service name may
// be registered or removed.
func (a *ACL) AllowServiceWrite(name string) bool {
	return a.management || allowWrite(a.serviceLevel(name))
}

// AllowServiceWriteAny reports whether some catalog service may be
// written (the handler then checks each name).
func (a *ACL) AllowServiceWriteAny() bool {
	if a.management {
		return true
	}
	for _, l := range a.services {
		if l == PolicyWrite {
			return true
		}
	}
	for _, p := range a.prefixes {
		if p.level == PolicyWrite {
			return true
		}
	}
	return false
}

// serviceLevel is the level of the service rule for name, else of the
// longest service_prefix rule it starts with.
func (a *ACL) serviceLevel(name string) string {
	if l, ok := a.services[name]; ok {
		return l
	}
	for _, p := range a.prefixes {
		if strings.HasPrefix(name, p.prefix) {
			return p.level
		}
	}
	return ""
}
