package regclient

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
)

// BenchmarkGet downloads a 20 MB file from wharf's registry over loopback
// through the client and, as the peer figure, through a bare net/http GET
// of the same URL: the client must add nothing measurable. MB/s is the
// figure.
func BenchmarkGet(b *testing.B) {
	const size = 20 << 20
	base := realRegistryB(b)
	data := bytes.Repeat([]byte("wharf-bench-"), size/12+1)[:size]
	c := New(base, &http.Client{Transport: &http.Transport{}}, token)
	if err := c.Upload(context.Background(), "big_1.tar.zst", bytes.NewReader(data), size, ""); err != nil {
		b.Fatal(err)
	}
	read := func(b *testing.B, r io.ReadCloser) {
		n, err := io.Copy(io.Discard, r)
		r.Close()
		if err != nil || n != size {
			b.Fatalf("read %d bytes: %v", n, err)
		}
	}
	b.Run("regclient", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			body, err := c.Get(context.Background(), "big_1.tar.zst", 0)
			if err != nil {
				b.Fatal(err)
			}
			read(b, body)
		}
	})
	b.Run("net-http", func(b *testing.B) {
		hc := &http.Client{Transport: &http.Transport{}}
		b.SetBytes(size)
		for b.Loop() {
			resp, err := hc.Get(base + "/big_1.tar.zst")
			if err != nil {
				b.Fatal(err)
			}
			read(b, resp.Body)
		}
	})
}
