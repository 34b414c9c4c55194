package etcdstore

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// DefaultPrefix is the key prefix of the layout in package state.
const DefaultPrefix = "/wharf/v1/"

// Key kinds, the first path segment after the prefix.
const (
	kindJobs     = "jobs"
	kindVersions = "job_versions"
	kindAllocs   = "allocs"
	kindEvals    = "evals"
	kindNodes    = "nodes"
	kindUsage    = "node_usage"
	kindServices = "services"
	kindPolicies = "acl_policies"
	kindTokens   = "acl_tokens"
	kindACLBoot  = "acl_bootstrap"
	kindDeletes  = "deletes"
)

// keys builds and parses the keys of the layout under one prefix.
type keys struct{ prefix string }

func esc(s string) string { return url.PathEscape(s) }

func (k keys) job(ns, id string) string {
	return k.prefix + kindJobs + "/" + esc(ns) + "/" + esc(id)
}

func (k keys) versions(ns, id string) string {
	return k.prefix + kindVersions + "/" + esc(ns) + "/" + esc(id) + "/"
}

func (k keys) version(ns, id string, v uint64) string {
	return fmt.Sprintf("%s%020d", k.versions(ns, id), v)
}

func (k keys) alloc(a *structs.Allocation) string {
	return k.prefix + kindAllocs + "/" + esc(a.Namespace) + "/" + esc(a.JobID) + "/" + esc(a.ID)
}

func (k keys) eval(id string) string  { return k.prefix + kindEvals + "/" + esc(id) }
func (k keys) node(id string) string  { return k.prefix + kindNodes + "/" + esc(id) }
func (k keys) usage(id string) string { return k.prefix + kindUsage + "/" + esc(id) }

func (k keys) service(id string) string { return k.prefix + kindServices + "/" + esc(id) }

func (k keys) policy(name string) string    { return k.prefix + kindPolicies + "/" + esc(name) }
func (k keys) token(accessor string) string { return k.prefix + kindTokens + "/" + esc(accessor) }
func (k keys) aclBootstrap() string         { return k.prefix + kindACLBoot }
func (k keys) deletes(t state.Table) string { return k.prefix + kindDeletes + "/" + esc(string(t)) }

// parsedKey is a key split into its kind and unescaped segments.
type parsedKey struct {
	kind string
	segs []string
}

// segments per kind.
var kindSegments = map[string]int{
	kindJobs: 2, kindVersions: 3, kindAllocs: 3, kindEvals: 1, kindNodes: 1, kindUsage: 1, kindServices: 1,
	kindPolicies: 1, kindTokens: 1, kindACLBoot: 0, kindDeletes: 1,
}

// parse splits a key of the layout; unknown kinds and malformed keys are
// errors.
func (k keys) parse(key string) (parsedKey, error) {
	rest, ok := strings.CutPrefix(key, k.prefix)
	if !ok {
		return parsedKey{}, fmt.Errorf("key %q is outside prefix %q", key, k.prefix)
	}
	parts := strings.Split(rest, "/")
	n, ok := kindSegments[parts[0]]
	if !ok || len(parts) != n+1 {
		return parsedKey{}, fmt.Errorf("key %q is not in the layout", key)
	}
	p := parsedKey{kind: parts[0]}
	for _, s := range parts[1:] {
		u, err := url.PathUnescape(s)
		if err != nil {
			return parsedKey{}, fmt.Errorf("key %q: %w", key, err)
		}
		p.segs = append(p.segs, u)
	}
	return p, nil
}

// version returns the version number of a job_versions key.
func (p parsedKey) version() (uint64, error) {
	return strconv.ParseUint(p.segs[2], 10, 64)
}
