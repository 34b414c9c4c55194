package proxy

import (
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/wharf-project/wharf/internal/ingress/config"
)

// middleware changes a request on its way to the service. It returns the
// request to pass on, or nil when it answered the request itself.
type middleware func(w http.ResponseWriter, r *http.Request) *http.Request

// compileMiddleware compiles one configured middleware.
func compileMiddleware(m *config.Middleware) (middleware, error) {
	switch {
	case len(m.StripPrefix) > 0 && m.RedirectScheme != "":
		return nil, errors.New("middleware sets both stripPrefix and redirectScheme")
	case len(m.StripPrefix) > 0:
		return stripPrefix(m.StripPrefix), nil
	case m.RedirectScheme != "":
		if m.RedirectScheme != "http" && m.RedirectScheme != "https" {
			return nil, errors.New("redirectScheme must be http or https")
		}
		return redirectScheme(m.RedirectScheme, m.Permanent), nil
	}
	return nil, errors.New("middleware has no known kind")
}

// stripPrefix removes the first matching prefix from the path and says
// which in X-Forwarded-Prefix.
func stripPrefix(prefixes []string) middleware {
	return func(w http.ResponseWriter, r *http.Request) *http.Request {
		for _, p := range prefixes {
			if !strings.HasPrefix(r.URL.Path, p) {
				continue
			}
			r2 := new(http.Request)
			*r2 = *r
			u := *r.URL
			u.Path = ensureSlash(strings.TrimPrefix(r.URL.Path, p))
			if u.RawPath != "" {
				u.RawPath = ensureSlash(strings.TrimPrefix(u.RawPath, p))
			}
			r2.URL = &u
			r2.RequestURI = u.RequestURI()
			r2.Header = r.Header.Clone()
			r2.Header.Set("X-Forwarded-Prefix", p)
			return r2
		}
		return r
	}
}

func ensureSlash(p string) string {
	if !strings.HasPrefix(p, "/") {
		return "/" + p
	}
	return p
}

// redirectScheme redirects requests that did not come with scheme to it,
// on the default port of the scheme.
func redirectScheme(scheme string, permanent bool) middleware {
	return func(w http.ResponseWriter, r *http.Request) *http.Request {
		if requestScheme(r) == scheme {
			return r
		}
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
			if strings.Contains(h, ":") {
				host = "[" + h + "]"
			}
		}
		target := scheme + "://" + host + r.URL.RequestURI()
		http.Redirect(w, r, target, redirectCode(r.Method, permanent))
		return nil
	}
}

// redirectCode keeps the method for non-GET requests (307/308).
func redirectCode(method string, permanent bool) int {
	safe := method == http.MethodGet || method == http.MethodHead
	switch {
	case permanent && safe:
		return http.StatusMovedPermanently
	case permanent:
		return http.StatusPermanentRedirect
	case safe:
		return http.StatusFound
	}
	return http.StatusTemporaryRedirect
}

func requestScheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}
