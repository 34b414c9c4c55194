package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestLongPollsPerClientCap: one client IP cannot fill the API with
// blocking queries: beyond half its connection cap (max_conns_per_client
// 60 here, so 30, the agent's own client and ingress included) a
// blocking query gets 429 with the reason and Retry-After, and the same
// client's other requests are still answered.
func TestLongPollsPerClientCap(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "limits.hcl")
	if err := os.WriteFile(cfg, []byte("limits {\n  max_conns_per_client = 60\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := startAgent(t, "-dev", "-config", cfg)
	resp, err := http.Get(a.addr + "/v1/jobs")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	index := resp.Header.Get("X-Nomad-Index")

	var mu sync.Mutex
	codes := map[int]int{}
	var refusal, retryAfter string
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
			resp, err := c.Get(fmt.Sprintf("%s/v1/jobs?index=%s&wait=10s", a.addr, index))
			if err != nil {
				mu.Lock()
				codes[-1]++
				mu.Unlock()
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			mu.Lock()
			codes[resp.StatusCode]++
			if resp.StatusCode == http.StatusTooManyRequests {
				refusal, retryAfter = string(body), resp.Header.Get("Retry-After")
			}
			mu.Unlock()
		}()
	}
	waitFor(t, 10*time.Second, "the long polls over the cap refused", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return codes[http.StatusTooManyRequests] >= 10
	})
	resp, err = http.Get(a.addr + "/v1/jobs")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("a plain request of the same client: %v %v", err, resp)
	}
	resp.Body.Close()
	wg.Wait()
	if codes[200] > 30 || codes[-1] > 0 || !strings.Contains(refusal, "blocking queries from 127.0.0.1") || retryAfter == "" {
		t.Fatalf("answers %v, refusal %q, Retry-After %q", codes, refusal, retryAfter)
	}
}
