package proxy

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSlowlorisIsCut(t *testing.T) {
	url := serve(t, http.NotFoundHandler(), ServerOptions{ReadHeaderTimeout: 300 * time.Millisecond})
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	closed := make(chan struct{})
	go func() {
		io.Copy(io.Discard, conn) // returns when the server hangs up
		close(closed)
	}()
	header := "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 100) // 10 s at 1 byte per 100 ms
	for i := range len(header) {
		select {
		case <-closed:
			return
		case <-time.After(100 * time.Millisecond):
		}
		if _, err := conn.Write([]byte{header[i]}); err != nil {
			return
		}
	}
	t.Fatal("server still reading a header sent 1 byte per 100 ms after 10 s")
}

func TestOversizedHeader(t *testing.T) {
	url := serve(t, http.NotFoundHandler(), ServerOptions{MaxHeaderBytes: 8 << 10})
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("X-Big", strings.Repeat("a", 64<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("status %d, want 431", resp.StatusCode)
	}
}
