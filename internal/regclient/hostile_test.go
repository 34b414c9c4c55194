package regclient

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// hostile serves h on a loopback port and returns a client of it.
func hostile(t *testing.T, h http.HandlerFunc) *Client {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return New(ts.URL, nil, "")
}

// repeat writes n bytes of b to w in chunks.
func repeat(w io.Writer, b byte, n int) {
	chunk := []byte(strings.Repeat(string(b), 64<<10))
	for n > 0 {
		k := min(n, len(chunk))
		if _, err := w.Write(chunk[:k]); err != nil {
			return
		}
		n -= k
	}
}

func TestImagesHostileAnswers(t *testing.T) {
	tests := []struct {
		name    string
		h       http.HandlerFunc
		wantErr string // "" wants success with an empty list
	}{
		{"html login page", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html>sign in</html>")
		}, `"text/html", not JSON`},
		{"no content type", func(w http.ResponseWriter, _ *http.Request) {
			w.Header()["Content-Type"] = nil
			io.WriteString(w, "[]")
		}, "not JSON"},
		{"huge list", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, "[")
			repeat(w, ' ', MaxListBytes+10)
			io.WriteString(w, "]")
		}, "larger than"},
		{"garbage json", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			io.WriteString(w, `[{"name": 7}]`)
		}, "decode:"},
		{"trailing garbage", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `[] [1]`)
		}, "decode:"},
		{"truncated list", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "100")
			io.WriteString(w, `[{"name":"a"`)
		}, "GET "},
		{"null", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, "null")
		}, ""},
		{"problem json status", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusBadGateway)
			repeat(w, 'x', 10<<20)
		}, "502 Bad Gateway: xxx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			images, err := hostile(t, tt.h).Images(context.Background())
			if tt.wantErr == "" {
				if err != nil || images == nil || len(images) != 0 {
					t.Fatalf("Images = %v, %v; want an empty list", images, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Images error = %.200v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestStatusErrorBodyIsBounded(t *testing.T) {
	c := hostile(t, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		repeat(w, 'y', 50<<20)
	})
	err := c.Delete(context.Background(), "a_1.json")
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 500 || len(se.Msg) != maxErrorBody {
		t.Fatalf("Delete = %T %.100v; want a 500 StatusError with a message of %d bytes", err, err, maxErrorBody)
	}
}

func TestGetHostileRanges(t *testing.T) {
	tests := []struct {
		name   string
		status int
		hdr    map[string]string
		body   string
	}{
		{"garbage range", 206, map[string]string{"Content-Range": "bytes x-y/z"}, "0123456789"},
		{"starts elsewhere", 206, map[string]string{"Content-Range": "bytes 0-9/20"}, "0123456789"},
		{"end before start", 206, map[string]string{"Content-Range": "bytes 10-5/20"}, "0123456789"},
		{"end past total", 206, map[string]string{"Content-Range": "bytes 10-19/15"}, "0123456789"},
		{"length disagrees", 206, map[string]string{"Content-Range": "bytes 10-29/40"}, "0123456789"},
		{"unknown total", 206, map[string]string{"Content-Range": "bytes 10-19/*"}, "0123456789"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := hostile(t, func(w http.ResponseWriter, _ *http.Request) {
				for k, v := range tt.hdr {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			b, err := c.Get(context.Background(), "a_1.tar.zst", 10)
			var re *RangeError
			if !errors.As(err, &re) {
				if b != nil {
					b.Close()
				}
				t.Fatalf("Get = %v, want a *RangeError", err)
			}
		})
	}
}

func TestGetIgnoredRangeStartsOver(t *testing.T) {
	c := hostile(t, func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "0123456789") // a server that does not do ranges
	})
	b, err := c.Get(context.Background(), "a_1.tar.zst", 5)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got, _ := io.ReadAll(b); b.Offset != 0 || b.Total != 10 || string(got) != "0123456789" {
		t.Fatalf("offset %d total %d body %q; want the whole file from 0", b.Offset, b.Total, got)
	}
}

func TestGetTruncatedStream(t *testing.T) {
	c := hostile(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", "1000")
		io.WriteString(w, strings.Repeat("z", 400))
		w.(http.Flusher).Flush()
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close() // the connection drops mid-body
		}
	})
	b, err := c.Get(context.Background(), "a_1.tar.zst", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	got, err := io.ReadAll(b)
	if err == nil || int64(len(got)) >= b.Total-b.Offset {
		t.Fatalf("read %d of %d bytes with err %v; want a short read that says so", len(got), b.Total, err)
	}
}
