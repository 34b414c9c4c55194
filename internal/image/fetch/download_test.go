package fetch

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/image"
)

// cutAfter answers with the full Content-Length, sends only the first n
// bytes of body and drops the connection.
func cutAfter(t *testing.T, w http.ResponseWriter, body []byte, n int) {
	t.Helper()
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body[:n])
	w.(http.Flusher).Flush()
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Error(err)
		return
	}
	conn.Close()
}

func TestGetResumesInterruptedDownload(t *testing.T) {
	tests := []struct {
		name        string
		ignoreRange bool
	}{
		{"server honours range", false},
		{"server ignores range", true},
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
				if tt.ignoreRange {
					r.Header.Del("Range")
				}
				return false
			}
			c := newTestCache(t, Config{})
			root, _, err := c.Get(testCtx(t), ts.URL, "nginx", "1.0", nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, root+"/etc/motd"); got != "hello\n" {
				t.Errorf("motd = %q", got)
			}
			want := []string{"", fmt.Sprintf("bytes=%d-", half)}
			if got := ts.tarballRanges(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("tarball Range headers %q, want %q", got, want)
			}
		})
	}
}

func TestGetCompletePartGets416(t *testing.T) {
	dir, built := buildImage(t, "nginx", "1.0")
	ts := newTestServer(t, dir)
	c := newTestCache(t, Config{})
	body, err := os.ReadFile(built.RootfsPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.path("nginx", "1.0", image.ExtRootfs+partSuffix), body, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Get(testCtx(t), ts.URL, "nginx", "1.0", nil); err != nil {
		t.Fatal(err)
	}
	want := []string{fmt.Sprintf("bytes=%d-", len(body))}
	if got := ts.tarballRanges(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("tarball Range headers %q, want %q", got, want)
	}
}

func TestGetProgressDeadline(t *testing.T) {
	tests := []struct {
		name string
		send int // bytes sent before stalling
		want string
	}{
		{"stall before headers", -1, "no progress for 100ms waiting for a response"},
		{"stall mid body", 1000, "no progress for 100ms after 1000 of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, built := buildImage(t, "nginx", "1.0")
			body, err := os.ReadFile(built.RootfsPath)
			if err != nil {
				t.Fatal(err)
			}
			ts := newTestServer(t, dir)
			ts.hook = func(w http.ResponseWriter, r *http.Request) bool {
				if !strings.HasSuffix(r.URL.Path, image.ExtRootfs) {
					return false
				}
				if tt.send >= 0 {
					w.Header().Set("Content-Length", strconv.Itoa(len(body)))
					w.Write(body[:tt.send])
					w.(http.Flusher).Flush()
				}
				<-r.Context().Done()
				return true
			}
			c := newTestCache(t, Config{ProgressDeadline: 100 * time.Millisecond})
			_, _, err = c.Get(testCtx(t), ts.URL, "nginx", "1.0", nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), ts.URL+"/nginx_1.0.tar.zst") {
				t.Errorf("error %q does not name the URL", err)
			}
		})
	}
}

func TestGetSlowSteadyDownloadOutlastsDeadline(t *testing.T) {
	dir, built := buildImage(t, "nginx", "1.0")
	body, err := os.ReadFile(built.RootfsPath)
	if err != nil {
		t.Fatal(err)
	}
	const chunks = 10
	const gap = 40 * time.Millisecond // total 400ms, deadline 150ms
	ts := newTestServer(t, dir)
	ts.hook = func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, image.ExtRootfs) {
			return false
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		step := len(body)/chunks + 1
		for off := 0; off < len(body); off += step {
			time.Sleep(gap)
			w.Write(body[off:min(off+step, len(body))])
			w.(http.Flusher).Flush()
		}
		return true
	}
	c := newTestCache(t, Config{ProgressDeadline: 150 * time.Millisecond})
	start := time.Now()
	if _, _, err := c.Get(testCtx(t), ts.URL, "nginx", "1.0", nil); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 150*time.Millisecond {
		t.Fatalf("download took %v, shorter than the deadline: test proves nothing", el)
	}
	if n := ts.count("/nginx_1.0.tar.zst"); n != 1 {
		t.Errorf("tarball fetched %d times, want 1", n)
	}
}

func TestReporterThrottlesAndComputesRate(t *testing.T) {
	var got []Progress
	r := newReporter(func(p Progress) { got = append(got, p) }, "f", 100, 1000)
	r.report(200, false) // within reportEvery of the start: dropped
	if len(got) != 0 {
		t.Fatalf("report not throttled: %+v", got)
	}
	r.last = r.last.Add(-time.Second)
	r.samples[0].at = r.samples[0].at.Add(-time.Second)
	r.report(300, false)
	r.report(1000, true)
	if len(got) != 2 {
		t.Fatalf("got %d reports, want 2", len(got))
	}
	if got[0].Bytes != 300 || got[0].Total != 1000 || got[0].Rate <= 0 || got[0].Done {
		t.Errorf("first report %+v", got[0])
	}
	if !got[1].Done || got[1].Bytes != 1000 {
		t.Errorf("final report %+v", got[1])
	}
}
