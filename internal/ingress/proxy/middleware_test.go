package proxy

import (
	"net/http"
	"testing"

	"github.com/wharf-project/wharf/internal/ingress/config"
)

func TestStripPrefix(t *testing.T) {
	back := handlerBackend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(r.URL.RequestURI() + " " + r.Header.Get("X-Forwarded-Prefix")))
	})
	p := testProxy(t, Options{})
	p.Update(cfg([]*config.Router{router("api", "Host(`example.com`) && PathPrefix(`/foo`)", "foo", "strip")},
		[]*config.Service{svc("foo", back.URL)},
		&config.Middleware{Name: "strip", StripPrefix: []string{"/foo"}}))
	url := serve(t, p.Handler("web"), ServerOptions{})
	tests := []struct{ path, want string }{
		{"/foo/bar?x=1", "/bar?x=1 /foo"},
		{"/foo", "/ /foo"},
	}
	for _, tt := range tests {
		if _, body := get(t, url+tt.path, "example.com"); body != tt.want {
			t.Errorf("%s: got %q, want %q", tt.path, body, tt.want)
		}
	}
}

func TestRedirectScheme(t *testing.T) {
	back := namedBackend(t, "A")
	p := testProxy(t, Options{})
	p.Update(cfg([]*config.Router{router("web", hostRule("web.minipot"), "web", "tohttps")},
		[]*config.Service{svc("web", back.URL)},
		&config.Middleware{Name: "tohttps", RedirectScheme: "https", Permanent: true}))
	url := serve(t, p.Handler("web"), ServerOptions{})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tests := []struct {
		method   string
		wantCode int
	}{
		{http.MethodGet, http.StatusMovedPermanently},
		{http.MethodPost, http.StatusPermanentRedirect},
	}
	for _, tt := range tests {
		code, _, resp := do(t, client, tt.method, url+"/a?b=c", "web.minipot:8080", nil)
		if loc := resp.Header.Get("Location"); code != tt.wantCode || loc != "https://web.minipot/a?b=c" {
			t.Errorf("%s: %d Location %q", tt.method, code, loc)
		}
	}
}

func TestBrokenMiddlewareDisablesItsRouters(t *testing.T) {
	p := testProxy(t, Options{})
	p.Update(cfg([]*config.Router{router("web", hostRule("web.minipot"), "web", "bad")},
		[]*config.Service{svc("web", "http://127.0.0.1:1")},
		&config.Middleware{Name: "bad", RedirectScheme: "gopher"}))
	cur := p.Current()
	if cur.Middlewares["bad"].Status != config.StatusDisabled || cur.Routers["web"].Status != config.StatusDisabled {
		t.Errorf("middleware %+v router %+v", cur.Middlewares["bad"], cur.Routers["web"])
	}
}
