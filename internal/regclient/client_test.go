package regclient

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/registry"
)

const token = "upload-token"

// realRegistry serves a registry.Server over a fresh directory on a
// loopback port and returns its URL.
func realRegistry(t *testing.T, tokens ...string) string {
	t.Helper()
	return serveRegistry(t, 1<<20, tokens...)
}

// realRegistryB is realRegistry for benchmarks, taking uploads of up to
// 64 MB with the test token.
func realRegistryB(b *testing.B) string {
	b.Helper()
	return serveRegistry(b, 64<<20, token)
}

func serveRegistry(t testing.TB, maxUpload int64, tokens ...string) string {
	t.Helper()
	srv, err := registry.New(registry.Config{Dir: t.TempDir(), Tokens: tokens, MaxUploadBytes: maxUpload})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); srv.Close() })
	return ts.URL
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// upload uploads data as file, failing the test on error.
func upload(t *testing.T, c *Client, file string, data []byte) {
	t.Helper()
	if err := c.Upload(context.Background(), file, bytes.NewReader(data), int64(len(data)), sum(data)); err != nil {
		t.Fatalf("Upload %s: %v", file, err)
	}
}

func TestClientAgainstRegistry(t *testing.T) {
	ctx := context.Background()
	base := realRegistry(t, token)
	c := New(base+"/", nil, token)
	if c.Base() != base {
		t.Fatalf("Base() = %q, want %q without the trailing slash", c.Base(), base)
	}
	if images, err := c.Images(ctx); err != nil || images == nil || len(images) != 0 {
		t.Fatalf("Images of an empty registry = %v, %v; want an empty list", images, err)
	}
	data := bytes.Repeat([]byte("0123456789"), 100)
	for _, f := range []string{"web_1.0.tar.zst", "web_1.0.json", "web_1.0.sha256"} {
		upload(t, c, f, data)
	}
	upload(t, c, "web_1.0.json", []byte(`{}`)) // replacing a file works too
	images, err := c.Images(ctx)
	if err != nil || len(images) != 1 {
		t.Fatalf("Images = %v, %v; want one image", images, err)
	}
	if im := images[0]; im.Name != "web" || im.Tag != "1.0" || !im.Complete || im.Signed || im.Files["tar.zst"] != 1000 || im.Files["json"] != 2 {
		t.Fatalf("image = %+v", im)
	}

	tests := []struct {
		name       string
		offset     int64
		wantOffset int64
		want       []byte
	}{
		{"whole file", 0, 0, data},
		{"resumed", 990, 990, data[990:]},
		{"last byte", 999, 999, data[999:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := c.Get(ctx, "web_1.0.tar.zst", tt.offset)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			got, err := io.ReadAll(b)
			if err != nil || !bytes.Equal(got, tt.want) || b.Offset != tt.wantOffset || b.Total != 1000 {
				t.Fatalf("Get from %d: %d bytes, offset %d, total %d, err %v", tt.offset, len(got), b.Offset, b.Total, err)
			}
		})
	}
	if _, err := c.Get(ctx, "web_1.0.tar.zst", 1000); !errors.Is(err, ErrPastEnd) {
		t.Fatalf("Get past the end: %v, want ErrPastEnd", err)
	}
	if _, err := c.Get(ctx, "nope_1.0.json", 0); !IsStatus(err, http.StatusNotFound) {
		t.Fatalf("Get of a missing file: %v, want a 404 StatusError", err)
	}

	if err := c.Delete(ctx, "web_1.0.sha256"); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, "web_1.0.sha256"); !IsStatus(err, http.StatusNotFound) {
		t.Fatalf("second Delete: %v, want a 404 StatusError", err)
	}
	if images, _ := c.Images(ctx); len(images) != 1 || images[0].Complete {
		t.Fatalf("after deleting the digest file the image must be incomplete: %+v", images)
	}
}

func TestClientRefusals(t *testing.T) {
	ctx := context.Background()
	withTokens := realRegistry(t, token)
	readOnly := realRegistry(t)
	data := []byte("payload")
	tests := []struct {
		name     string
		base     string
		token    string
		file     string
		sum      string
		wantCode int
		wantMsg  string
	}{
		{"wrong token", withTokens, "guess", "a_1.json", sum(data), 401, "the registry refused the token"},
		{"no token", withTokens, "", "a_1.json", sum(data), 401, "the registry refused the token"},
		{"read-only registry", readOnly, token, "a_1.json", sum(data), 403, "the registry accepts no uploads: uploads are disabled"},
		{"digest mismatch", withTokens, token, "a_1.json", sum([]byte("other")), 400, "mismatch"},
		{"bad file name", withTokens, token, "a.json", sum(data), 400, "bad file name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(tt.base, nil, tt.token)
			err := c.Upload(ctx, tt.file, bytes.NewReader(data), int64(len(data)), tt.sum)
			var se *StatusError
			if !errors.As(err, &se) || se.Code != tt.wantCode || !strings.Contains(err.Error(), tt.wantMsg) ||
				!strings.Contains(err.Error(), "PUT "+tt.base+"/"+tt.file) {
				t.Fatalf("Upload: %v, want status %d saying %q", err, tt.wantCode, tt.wantMsg)
			}
		})
	}
	if _, err := New(withTokens, nil, token).Get(ctx, "a_1.json", 0); !IsStatus(err, http.StatusNotFound) {
		t.Fatalf("a refused upload left a file behind: %v", err)
	}
}

func TestClientUnreachable(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	base := ts.URL
	ts.Close()
	c := New(base, nil, token)
	ctx := context.Background()
	if _, err := c.Images(ctx); err == nil || !strings.Contains(err.Error(), "GET "+base+"/v1/images") {
		t.Errorf("Images: %v", err)
	}
	if err := c.Delete(ctx, "a_1.json"); err == nil || !strings.Contains(err.Error(), "DELETE "+base+"/a_1.json") {
		t.Errorf("Delete: %v", err)
	}
	if _, err := c.Get(ctx, "a_1.json", 0); err == nil {
		t.Error("Get of an unreachable registry succeeded")
	}
}
