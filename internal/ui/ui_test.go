package ui

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, path string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func testHandler(t *testing.T) (*handler, http.Handler) {
	t.Helper()
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "api "+r.URL.Path) })
	h := Handler(Options{}).(*handler)
	return h, Wrap(api, Options{})
}

func TestIndexForClientRoutes(t *testing.T) {
	_, srv := testHandler(t)
	for _, path := range []string{"/ui/", "/ui/jobs", "/ui/jobs/web.v2?namespace=x", "/ui/allocations/abc", "/ui/nodes/n1", "/ui/services/web", "/ui/ingress", "/ui/run"} {
		t.Run(path, func(t *testing.T) {
			rec := get(t, srv, path)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Fatalf("Content-Type %q", ct)
			}
			if cc := rec.Header().Get("Cache-Control"); cc != "no-cache" {
				t.Fatalf("Cache-Control %q, want no-cache", cc)
			}
			if !strings.Contains(rec.Body.String(), `<main id="main"`) {
				t.Fatalf("not index.html: %.200s", rec.Body.String())
			}
		})
	}
}

func TestIndexReferencesVersionedAssets(t *testing.T) {
	h, srv := testHandler(t)
	body := get(t, srv, "/ui/").Body.String()
	if strings.Contains(body, assetsPrefix) {
		t.Fatalf("index still refers to %s", assetsPrefix)
	}
	if !strings.Contains(body, h.set.versionedPrefix()+"app.js") {
		t.Fatalf("index does not load %sapp.js", h.set.versionedPrefix())
	}
}

// TestEveryReferencedAssetExists checks each src/href of index.html, and
// each relative import of the app's modules, against the embedded files.
func TestEveryReferencedAssetExists(t *testing.T) {
	sub, err := fs.Sub(embedded, "assets")
	if err != nil {
		t.Fatal(err)
	}
	index, err := fs.ReadFile(sub, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	refs := regexp.MustCompile(`(?:src|href)="(/ui/assets/[^"]+)"`).FindAllSubmatch(index, -1)
	if len(refs) < 3 {
		t.Fatalf("found only %d asset references in index.html", len(refs))
	}
	for _, m := range refs {
		name := strings.TrimPrefix(string(m[1]), assetsPrefix)
		if _, err := fs.Stat(sub, name); err != nil {
			t.Errorf("index.html refers to %s: %v", m[1], err)
		}
	}
	imports := regexp.MustCompile(`(?:from |import\()'\./([^']+)'`)
	mods, _ := fs.Glob(sub, "*.js")
	for _, mod := range mods {
		src, _ := fs.ReadFile(sub, mod)
		for _, m := range imports.FindAllSubmatch(src, -1) {
			if _, err := fs.Stat(sub, string(m[1])); err != nil {
				t.Errorf("%s imports ./%s: %v", mod, m[1], err)
			}
		}
	}
}

func TestAssetTypesAndCaching(t *testing.T) {
	h, srv := testHandler(t)
	v := h.set.versionedPrefix()
	tests := []struct {
		path, ctype, cache string
	}{
		{v + "app.js", "text/javascript; charset=utf-8", cacheImmutable},
		{v + "app.css", "text/css; charset=utf-8", cacheImmutable},
		{v + "icon.svg", "image/svg+xml", cacheImmutable},
		{"/ui/assets/app.js", "text/javascript; charset=utf-8", cacheRevalidate},
		{"/ui/v/000000000000/app.js", "text/javascript; charset=utf-8", cacheRevalidate},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := get(t, srv, tt.path)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if got := rec.Header().Get("Content-Type"); got != tt.ctype {
				t.Errorf("Content-Type %q, want %q", got, tt.ctype)
			}
			if got := rec.Header().Get("Cache-Control"); got != tt.cache {
				t.Errorf("Cache-Control %q, want %q", got, tt.cache)
			}
			if rec.Header().Get("ETag") == "" {
				t.Error("no ETag")
			}
		})
	}
}

func TestMissingAssetIs404(t *testing.T) {
	h, srv := testHandler(t)
	for _, path := range []string{"/ui/assets/nope.js", h.set.versionedPrefix() + "nope.css", "/ui/v/abc", "/ui/api/nope"} {
		if rec := get(t, srv, path); rec.Code != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", path, rec.Code)
		}
	}
}

func TestGzip(t *testing.T) {
	h, srv := testHandler(t)
	path := h.set.versionedPrefix() + "app.css"
	plain := get(t, srv, path)
	rec := get(t, srv, path, "Accept-Encoding", "br, gzip;q=0.8")
	if rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q, want gzip", rec.Header().Get("Content-Encoding"))
	}
	if !strings.Contains(rec.Header().Get("Vary"), "Accept-Encoding") {
		t.Error("no Vary: Accept-Encoding")
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(zr)
	if !bytes.Equal(body, plain.Body.Bytes()) {
		t.Fatal("gunzipped body differs from the plain one")
	}
	if rec.Header().Get("ETag") == plain.Header().Get("ETag") {
		t.Error("gzip and plain bodies share an ETag")
	}
	if got := get(t, srv, path, "Accept-Encoding", "gzip;q=0").Header().Get("Content-Encoding"); got != "" {
		t.Errorf("gzip;q=0 got Content-Encoding %q", got)
	}
}

func TestNotModified(t *testing.T) {
	h, srv := testHandler(t)
	path := h.set.versionedPrefix() + "app.js"
	etag := get(t, srv, path).Header().Get("ETag")
	rec := get(t, srv, path, "If-None-Match", etag)
	if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Fatalf("status %d, %d bytes; want 304 and none", rec.Code, rec.Body.Len())
	}
}

func TestRootRedirectsAndAPIPassesThrough(t *testing.T) {
	_, srv := testHandler(t)
	rec := get(t, srv, "/")
	if rec.Code != http.StatusTemporaryRedirect || rec.Header().Get("Location") != "/ui/" {
		t.Fatalf("GET /: status %d Location %q", rec.Code, rec.Header().Get("Location"))
	}
	if rec := get(t, srv, "/v1/jobs"); rec.Body.String() != "api /v1/jobs" {
		t.Fatalf("GET /v1/jobs reached %q", rec.Body.String())
	}
	if rec := get(t, srv, "/ui"); rec.Code/100 != 3 || rec.Header().Get("Location") != "/ui/" {
		t.Fatalf("GET /ui: status %d Location %q, want a redirect to /ui/", rec.Code, rec.Header().Get("Location"))
	}
}

func TestIngressProxy(t *testing.T) {
	dash := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"path":"`+r.URL.Path+`"}`)
	}))
	defer dash.Close()
	h := Handler(Options{IngressDashboard: func() string { return strings.TrimPrefix(dash.URL, "http://") }})
	rec := get(t, h, "/ui/api/ingress/http/routers")
	if rec.Code != http.StatusOK || rec.Body.String() != `{"path":"/api/http/routers"}` {
		t.Fatalf("status %d body %q", rec.Code, rec.Body)
	}
	cfg := get(t, h, "/ui/api/config").Body.String()
	if !strings.Contains(cfg, `"Ingress":true`) {
		t.Fatalf("config %s", cfg)
	}
	none := Handler(Options{})
	if rec := get(t, none, "/ui/api/ingress/http/routers"); rec.Code != http.StatusNotFound {
		t.Fatalf("without ingress: status %d, want 404", rec.Code)
	}
}

func TestLoopback(t *testing.T) {
	tests := map[string]string{"0.0.0.0:9200": "127.0.0.1:9200", "[::]:9200": "127.0.0.1:9200", ":9200": "127.0.0.1:9200", "10.0.0.1:9200": "10.0.0.1:9200"}
	for in, want := range tests {
		if got := loopback(in); got != want {
			t.Errorf("loopback(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestWeight keeps the app's own JavaScript and CSS (not the terminal's
// vendored xterm.js) under its budget.
func TestWeight(t *testing.T) {
	h, _ := testHandler(t)
	total := 0
	for name, a := range h.set.files {
		if strings.HasPrefix(name, "vendor/") || !(strings.HasSuffix(name, ".js") || strings.HasSuffix(name, ".css")) {
			continue
		}
		total += len(a.body)
	}
	if total > 150<<10 {
		t.Fatalf("app JS+CSS is %d bytes, over the 150 KiB budget", total)
	}
}
