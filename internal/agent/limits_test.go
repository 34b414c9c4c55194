package agent

import (
	"log/slog"
	"net/http"
	"testing"

	"github.com/wharf-project/wharf/internal/netlimit"
)

// TestSetupConns checks that every listener role gets a limiter, a
// configured cap wins over the budget's share, and HTTP servers get the
// configured timeouts.
func TestSetupConns(t *testing.T) {
	a := &Agent{cfg: &Config{Limits: &LimitsConfig{MaxConnsIngress: 7, HandshakeTimeout: "3s", IdleTimeout: "42s"}},
		log: slog.New(slog.DiscardHandler)}
	if err := a.setupConns(); err != nil {
		t.Fatal(err)
	}
	soft, _, err := netlimit.Limit()
	if err != nil {
		t.Skip(err)
	}
	b := netlimit.NewBudget(soft)
	for _, role := range listenerRoles {
		want := b.Caps[role]
		if role == "ingress" {
			want = 7
		}
		if got := a.limiter(role).Cap(); got != want {
			t.Errorf("%s cap %d, want %d", role, got, want)
		}
	}
	srv := a.bound(&http.Server{})
	if srv.ReadHeaderTimeout.String() != "3s" || srv.IdleTimeout.String() != "42s" {
		t.Errorf("server timeouts %s/%s, want 3s/42s", srv.ReadHeaderTimeout, srv.IdleTimeout)
	}
	if o := a.ingressServerOptions(nil); o.Conns.Cap() != 7 || o.ReadHeaderTimeout.String() != "3s" {
		t.Errorf("ingress options %+v", o)
	}
}
