package netlimit

import (
	"os"
	"sync/atomic"
)

// Budget splits the process's descriptor limit among roles: a fixed
// reserve for what is not a listener's client (the etcd member and its
// client, the client role's state files, task logs, supervisors' pipes,
// the ingress's connections to its servers), and the rest among the
// listeners, each of which gets a connection cap.
type Budget struct {
	// Limit is the process's descriptor limit (RLIMIT_NOFILE's soft
	// limit after RaiseLimit).
	Limit int
	// Reserve is kept for everything that is not a listener's client.
	Reserve int
	// Caps are the listeners' connection caps, by role.
	Caps map[string]int
}

// Shares of what the reserve leaves, by listener role. The ingress's
// share covers its clients and as many connections to its servers, so
// its cap is half its share.
var shares = map[string]float64{
	"api":       0.20,
	"consul":    0.10,
	"ingress":   0.50,
	"dashboard": 0.05,
	"registry":  0.10,
	"dns":       0.05, // its TCP connections
}

// MinCap is the least cap a role gets, however small the limit.
const MinCap = 16

// NewBudget splits limit: a quarter (at least 256 descriptors) is the
// reserve, and the rest goes to the listener roles (api, consul,
// ingress, dashboard, registry, dns) by fixed shares.
func NewBudget(limit int) Budget {
	reserve := Max(limit/4, 256)
	rest := Max(limit-reserve, 0)
	b := Budget{Limit: limit, Reserve: reserve, Caps: map[string]int{}}
	for role, share := range shares {
		n := int(float64(rest) * share)
		if role == "ingress" {
			n /= 2
		}
		b.Caps[role] = Max(n, MinCap)
	}
	return b
}

var current atomic.Pointer[Budget]

// SetCurrent records the budget the process runs with, for the out of
// descriptors warnings.
func SetCurrent(b Budget) { current.Store(&b) }

// BudgetAttrs are slog attributes describing the descriptor budget and
// use now: the limit, the reserve, and the descriptors open.
func BudgetAttrs() []any {
	out := []any{"fd_open", OpenDescriptors()}
	if b := current.Load(); b != nil {
		out = append(out, "fd_limit", b.Limit, "fd_reserve", b.Reserve)
	} else if soft, _, err := Limit(); err == nil {
		out = append(out, "fd_limit", soft)
	}
	return out
}

// OpenDescriptors counts the descriptors the process has open, or -1
// when the system does not tell.
func OpenDescriptors() int {
	for _, dir := range []string{"/proc/self/fd", "/dev/fd"} {
		f, err := os.Open(dir)
		if err != nil {
			continue
		}
		names, err := f.Readdirnames(-1)
		f.Close()
		if err == nil && len(names) > 3 {
			return len(names) - 1 // the directory's own descriptor
		}
	}
	return -1
}
