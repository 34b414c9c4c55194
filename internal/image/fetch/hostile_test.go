package fetch

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wharf-project/wharf/internal/image"
)

// TestGetRefusesMisfitRanges interrupts the tarball download, then answers
// the resumed request with a range that does not fit it: the download
// fails naming the answer, and nothing is unpacked from the mixed bytes.
func TestGetRefusesMisfitRanges(t *testing.T) {
	tests := []struct {
		name         string
		contentRange func(half, size int) string
		want         string
	}{
		{"starts elsewhere", func(half, size int) string { return fmt.Sprintf("bytes 0-%d/%d", size-half-1, size) }, "asked for bytes from"},
		{"garbage", func(int, int) string { return "bytes ?-?/?" }, "bad Content-Range"},
		{"length disagrees", func(half, size int) string { return fmt.Sprintf("bytes %d-%d/%d", half, size+10, size+11) }, "bad Content-Range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, built := buildImage(t, "nginx", "1.0")
			body, err := os.ReadFile(built.RootfsPath)
			if err != nil {
				t.Fatal(err)
			}
			half := len(body) / 2
			ts := newTestServer(t, dir)
			var calls atomic.Int32
			ts.hook = func(w http.ResponseWriter, r *http.Request) bool {
				if !strings.HasSuffix(r.URL.Path, image.ExtRootfs) {
					return false
				}
				if calls.Add(1) == 1 {
					cutAfter(t, w, body, half)
					return true
				}
				w.Header().Set("Content-Range", tt.contentRange(half, len(body)))
				w.Header().Set("Content-Length", strconv.Itoa(len(body)-half))
				w.WriteHeader(http.StatusPartialContent)
				w.Write(body[half:])
				return true
			}
			c := newTestCache(t, Config{})
			_, _, err = c.Get(testCtx(t), ts.URL, "nginx", "1.0", nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), ts.URL+"/nginx_1.0.tar.zst") {
				t.Fatalf("Get = %v, want an error naming the file and saying %q", err, tt.want)
			}
			if _, err := os.Stat(c.RootfsDir("nginx", "1.0")); err == nil {
				t.Fatal("a rootfs was unpacked from a misfit range")
			}
		})
	}
}
