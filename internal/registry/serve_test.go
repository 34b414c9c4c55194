package registry

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestServeFile(t *testing.T) {
	s := newTestServer(t)
	img := pattern(1000, 1)
	writeFile(t, s.dir, "web_1.0.tar.zst", img)
	writeFile(t, s.dir, "web_1.0.json", []byte(`{"name":"web"}`))
	writeFile(t, s.dir, ".hidden", []byte("no"))
	writeFile(t, filepath.Join(s.dir, uploadDir), "x", []byte("partial"))
	outside := filepath.Join(t.TempDir(), "secret")
	writeFile(t, filepath.Dir(outside), "secret", []byte("secret"))
	if err := os.Symlink(outside, filepath.Join(s.dir, "escape_1.json")); err != nil {
		t.Fatal(err)
	}
	etag := do(t, s, "HEAD", "/web_1.0.tar.zst", nil, nil).Header().Get("ETag")
	if !strings.HasPrefix(etag, `"`) || strings.HasPrefix(etag, "W/") {
		t.Fatalf("ETag %q is not a strong entity tag", etag)
	}
	tests := []struct {
		name, method, path string
		hdr                map[string]string
		code               int
		body               string // exact body when set
		ctype              string // Content-Type prefix when set
		wantHdr            map[string]string
	}{
		{name: "get", method: "GET", path: "/web_1.0.tar.zst", code: 200, body: string(img),
			ctype: "application/octet-stream", wantHdr: map[string]string{"ETag": etag, "Cache-Control": cacheControl, "Accept-Ranges": "bytes"}},
		{name: "head", method: "HEAD", path: "/web_1.0.tar.zst", code: 200, body: "",
			wantHdr: map[string]string{"Content-Length": "1000", "ETag": etag}},
		{name: "json type", method: "GET", path: "/web_1.0.json", code: 200, body: `{"name":"web"}`, ctype: "application/json"},
		{name: "range", method: "GET", path: "/web_1.0.tar.zst", hdr: map[string]string{"Range": "bytes=10-19"},
			code: 206, body: string(img[10:20]), wantHdr: map[string]string{"Content-Range": "bytes 10-19/1000"}},
		{name: "suffix range", method: "GET", path: "/web_1.0.tar.zst", hdr: map[string]string{"Range": "bytes=-5"},
			code: 206, body: string(img[995:])},
		{name: "multi range", method: "GET", path: "/web_1.0.tar.zst", hdr: map[string]string{"Range": "bytes=0-1,5-6"},
			code: 206, ctype: "multipart/byteranges"},
		{name: "unsatisfiable range", method: "GET", path: "/web_1.0.tar.zst", hdr: map[string]string{"Range": "bytes=5000-6000"}, code: 416},
		{name: "if-none-match", method: "GET", path: "/web_1.0.tar.zst", hdr: map[string]string{"If-None-Match": etag}, code: 304, body: ""},
		{name: "if-none-match other", method: "GET", path: "/web_1.0.tar.zst", hdr: map[string]string{"If-None-Match": `"nope"`}, code: 200},
		{name: "if-range stale", method: "GET", path: "/web_1.0.tar.zst", hdr: map[string]string{"Range": "bytes=0-1", "If-Range": `"old"`}, code: 200},
		{name: "missing", method: "GET", path: "/nope_1.json", code: 404},
		{name: "dotfile", method: "GET", path: "/.hidden", code: 404},
		{name: "upload dir", method: "GET", path: "/.upload", code: 404},
		{name: "upload temp", method: "GET", path: "/.upload/x", code: 404},
		{name: "encoded traversal", method: "GET", path: "/..%2Fetc%2Fpasswd", code: 404},
		{name: "encoded dotdot", method: "GET", path: "/%2e%2e", code: 404},
		{name: "nested", method: "GET", path: "/a/web_1.0.json", code: 404},
		{name: "backslash", method: "GET", path: "/..%5Csecret", code: 404},
		{name: "symlink out of dir", method: "GET", path: "/escape_1.json", code: 404},
		{name: "bad method", method: "POST", path: "/web_1.0.json", code: 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(t, s, tt.method, tt.path, nil, tt.hdr)
			if rec.Code != tt.code {
				t.Fatalf("status %d, want %d (body %.100q)", rec.Code, tt.code, rec.Body.String())
			}
			if tt.code < 300 && tt.body != "" && rec.Body.String() != tt.body {
				t.Errorf("body %.40q..., want %.40q...", rec.Body.String(), tt.body)
			}
			if (tt.method == "HEAD" || tt.code == 304) && rec.Body.Len() != 0 {
				t.Errorf("body of %d bytes, want none", rec.Body.Len())
			}
			if got := rec.Header().Get("Content-Type"); tt.ctype != "" && !strings.HasPrefix(got, tt.ctype) {
				t.Errorf("Content-Type %q, want %q", got, tt.ctype)
			}
			for k, v := range tt.wantHdr {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if strings.Contains(rec.Body.String(), "secret") || strings.Contains(rec.Body.String(), "partial") {
				t.Errorf("served a file it must not: %q", rec.Body.String())
			}
		})
	}
}

func TestListing(t *testing.T) {
	s := newTestServer(t)
	writeFile(t, s.dir, "web_1.0.tar.zst", pattern(100, 0))
	writeFile(t, s.dir, "web_1.0.json", []byte("{}"))
	writeFile(t, s.dir, "web_1.0.sha256", []byte("ab"))
	writeFile(t, s.dir, "my_app_2.sig", []byte("sig"))
	writeFile(t, s.dir, "README.txt", []byte("hello"))
	writeFile(t, s.dir, ".hidden_1.json", []byte("{}"))
	if err := os.Mkdir(filepath.Join(s.dir, "sub_1.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	rec := do(t, s, "GET", "/v1/images", nil, nil)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	var got []Image
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name, tag        string
		files            map[string]int64
		complete, signed bool
	}{
		{"my_app", "2", map[string]int64{"sig": 3}, false, true},
		{"web", "1.0", map[string]int64{"tar.zst": 100, "json": 2, "sha256": 2}, true, false},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d images, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Name != w.name || g.Tag != w.tag || g.Complete != w.complete || g.Signed != w.signed || g.Modified.IsZero() {
			t.Errorf("image %d = %+v, want %+v", i, g, w)
		}
		for k, v := range w.files {
			if g.Files[k] != v {
				t.Errorf("image %d file %s size %d, want %d", i, k, g.Files[k], v)
			}
		}
		if len(g.Files) != len(w.files) {
			t.Errorf("image %d files %v, want %v", i, g.Files, w.files)
		}
	}
	idx := do(t, s, "GET", "/", nil, nil)
	body := idx.Body.String()
	for _, name := range []string{"web_1.0.tar.zst", "README.txt", "my_app_2.sig"} {
		if !strings.Contains(body, `href="`+name+`"`) {
			t.Errorf("index lacks %s:\n%s", name, body)
		}
	}
	for _, name := range []string{".hidden", "sub_1.json", uploadDir} {
		if strings.Contains(body, name) {
			t.Errorf("index lists %s:\n%s", name, body)
		}
	}
	if rec := do(t, s, "DELETE", "/v1/images", nil, nil); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("DELETE /v1/images: %d, want 405", rec.Code)
	}
}

func TestSplitImage(t *testing.T) {
	tests := []struct{ file, name, tag, kind string }{
		{"web_1.0.tar.zst", "web", "1.0", "tar.zst"},
		{"my_app_latest.json", "my_app", "latest", "json"},
		{"a-b.c_d-e.sha256", "a-b.c", "d-e", "sha256"},
		{"x_y.sig", "x", "y", "sig"},
		{"noTag.json", "", "", ""},
		{"web_1.0.tar.gz", "", "", ""},
		{"web_.json", "", "", ""},
		{"_1.json", "", "", ""},
		{"web 1_0.json", "", "", ""},
	}
	for _, tt := range tests {
		name, tag, kind, ok := splitImage(tt.file)
		if ok != (tt.kind != "") || name != tt.name || tag != tt.tag || kind != tt.kind {
			t.Errorf("splitImage(%q) = %q %q %q %v, want %q %q %q", tt.file, name, tag, kind, ok, tt.name, tt.tag, tt.kind)
		}
	}
}
