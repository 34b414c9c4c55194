package registry

import (
	"io"
	"net/http"
	"testing"
)

// BenchmarkServeImage measures a GET of a 20 MB image file over loopback
// from wharf's registry and, when busybox is installed, from busybox
// httpd serving the same directory (the peer figure). MB/s is the figure.
func BenchmarkServeImage(b *testing.B) {
	const size = 20 << 20
	s := newTestServer(b)
	writeFile(b, s.dir, "big_1.tar.zst", pattern(size, 7))
	servers := []struct {
		name string
		url  func(b *testing.B) string
	}{
		{"wharf", func(b *testing.B) string { return httptestServer(b, s) }},
		{"busybox", func(b *testing.B) string { return startBusybox(b, s.dir) }},
	}
	for _, srv := range servers {
		b.Run(srv.name, func(b *testing.B) {
			url := srv.url(b) + "/big_1.tar.zst"
			client := &http.Client{Transport: &http.Transport{}}
			b.SetBytes(size)
			for b.Loop() {
				resp, err := client.Get(url)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || n != size {
					b.Fatalf("read %d bytes: %v", n, err)
				}
			}
		})
	}
}
