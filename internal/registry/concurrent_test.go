package registry

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestGetDuringUpload proves readers never see a partial file: while an
// upload is half written, GETs see the old version (or 404 for a new
// file), and after it they see the whole new version.
func TestGetDuringUpload(t *testing.T) {
	const size = 256 << 10
	tests := []struct {
		name string
		old  []byte // nil: no previous version
	}{
		{"new file", nil},
		{"replace", pattern(size, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, testToken)
			if tt.old != nil {
				writeFile(t, s.dir, "web_1.tar.zst", tt.old)
			}
			url := httptestServer(t, s) + "/web_1.tar.zst"
			next := pattern(size, 2)
			pr, pw := io.Pipe()
			putDone := startPut(t, url, pr)
			if _, err := pw.Write(next[:size/2]); err != nil {
				t.Fatal(err)
			}
			waitTempBytes(t, s)
			var stop atomic.Bool
			var wg sync.WaitGroup
			var bad atomic.Int32
			wg.Go(func() {
				for !stop.Load() {
					code, body, err := get(url)
					if err != nil || !(code == 404 && tt.old == nil) && !(code == 200 && (bytes.Equal(body, tt.old) || bytes.Equal(body, next))) {
						bad.Add(1)
					}
				}
			})
			code, body := fetch(t, url, "")
			if tt.old == nil && code != 404 || tt.old != nil && !bytes.Equal(body, tt.old) {
				t.Errorf("mid-upload GET: %d, %d bytes; want the old version", code, len(body))
			}
			if _, err := pw.Write(next[size/2:]); err != nil {
				t.Fatal(err)
			}
			pw.Close()
			if code := <-putDone; code/100 != 2 {
				t.Fatalf("upload status %d", code)
			}
			stop.Store(true)
			wg.Wait()
			if n := bad.Load(); n > 0 {
				t.Errorf("%d concurrent GETs saw a partial or foreign file", n)
			}
			if code, body := fetch(t, url, ""); code != 200 || !bytes.Equal(body, next) {
				t.Errorf("GET after upload: %d, %d bytes; want the new version", code, len(body))
			}
		})
	}
}

// get GETs url; safe to call off the test goroutine.
func get(url string) (int, []byte, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// startPut PUTs body to url in the background and sends the status code
// (0 on transport errors) when done.
func startPut(t *testing.T, url string, body io.Reader) <-chan int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	done := make(chan int, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	return done
}

// TestTruncatedUploadOverNetwork drops the connection mid-body: the
// server answers nothing useful, and leaves no trace of the upload.
func TestTruncatedUploadOverNetwork(t *testing.T) {
	s := newTestServer(t, testToken)
	addr := strings.TrimPrefix(httptestServer(t, s), "http://")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "PUT /web_1.json HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: 1000\r\n\r\n%s", testToken, bytes.Repeat([]byte("a"), 400))
	waitTempBytes(t, s)
	c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		entries, err := os.ReadDir(filepath.Join(s.dir, uploadDir))
		if err == nil && len(entries) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("temp file left behind: %v", entries)
		}
		time.Sleep(5 * time.Millisecond) // the handler notices the EOF on its own
	}
	assertNoTrace(t, s, "web_1.json")
}

// waitTempBytes waits until an upload temp file holds data, for up to 10 s.
func waitTempBytes(t *testing.T, s *Server) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		entries, _ := os.ReadDir(filepath.Join(s.dir, uploadDir))
		for _, e := range entries {
			if fi, err := e.Info(); err == nil && fi.Size() > 0 {
				return
			}
		}
		time.Sleep(5 * time.Millisecond) // the server writes to disk; no event to wait on
	}
	t.Fatal("upload never reached the temp file")
}
