package registry

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// startBusybox serves dir with `busybox httpd` on a free loopback port and
// returns its base URL. It skips the test when busybox is missing, unless
// $CI is set (CI must install busybox).
func startBusybox(tb testing.TB, dir string) string {
	tb.Helper()
	bin, err := exec.LookPath("busybox")
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("busybox is required in CI for the peer registry test: %v", err)
		}
		tb.Skipf("busybox not on PATH (install it to run the peer registry test): %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(bin, "httpd", "-f", "-p", addr, "-h", dir)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start busybox httpd: %v", err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	waitListening(tb, addr)
	return "http://" + addr
}

// waitListening waits until addr accepts connections, for up to 10 s.
func waitListening(tb testing.TB, addr string) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s never accepted connections: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond) // polling a foreign process; no event to wait on
	}
}

// fetch GETs url with an optional Range header and returns status and body.
func fetch(tb testing.TB, url, rng string) (int, []byte) {
	tb.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, body
}

// TestPeerStaticServer proves any static web server is a registry: busybox
// httpd serving the same directory returns the same bytes for plain and
// Range GETs of the image files (busybox ignores suffix ranges such as
// "bytes=-8", so only first-last and open-ended ones are compared).
func TestPeerStaticServer(t *testing.T) {
	s := newTestServer(t, testToken)
	files := map[string][]byte{
		"web_1.0.tar.zst": pattern(300_000, 5),
		"web_1.0.json":    []byte(`{"name":"web","tag":"1.0"}`),
		"web_1.0.sha256":  []byte(hexSum(pattern(300_000, 5)) + "\n"),
		"web_1.0.sig":     pattern(64, 9),
	}
	// Upload through wharf so the peer serves what uploads produce.
	for name, data := range files {
		rec := do(t, s, "PUT", "/"+name, bytes.NewReader(data), map[string]string{"Authorization": "Bearer " + testToken})
		if rec.Code != http.StatusCreated {
			t.Fatalf("upload %s: %d %s", name, rec.Code, rec.Body.String())
		}
	}
	ours := httptestServer(t, s)
	peer := startBusybox(t, s.dir)
	for name, data := range files {
		for _, rng := range []string{"", "bytes=10-19", "bytes=20-"} {
			t.Run(fmt.Sprintf("%s %q", name, rng), func(t *testing.T) {
				oc, ob := fetch(t, ours+"/"+name, rng)
				pc, pb := fetch(t, peer+"/"+name, rng)
				if oc != pc || !bytes.Equal(ob, pb) {
					t.Fatalf("wharf: %d %d bytes; busybox: %d %d bytes", oc, len(ob), pc, len(pb))
				}
				if rng == "" && !bytes.Equal(ob, data) {
					t.Fatal("served bytes differ from the uploaded ones")
				}
				if rng != "" && oc != http.StatusPartialContent {
					t.Fatalf("Range GET answered %d", oc)
				}
			})
		}
	}
}
