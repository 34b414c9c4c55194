package agent

import "github.com/wharf-project/wharf/internal/netlimit"

// newLongPolls is the cap of one HTTP server's blocking queries: in all,
// half the API's connection cap, so that long polls always leave room
// for other requests; per client IP, half of limits.max_conns_per_client
// (an eighth of the total when that is off), which also bounds the
// long polls one client multiplexes over HTTP/2 streams, where the
// connection caps do not see them. nil before the connection budget is
// set up (no caps).
func (a *Agent) newLongPolls() *netlimit.LongPolls {
	lim := a.limiter("api")
	if a.conns == nil || lim == nil {
		return nil
	}
	total := max(1, lim.Cap()/2)
	perClient := max(1, total/8)
	if a.conns.PerClient > 0 {
		perClient = max(1, a.conns.PerClient/2)
	}
	return netlimit.NewLongPolls(perClient, total)
}
