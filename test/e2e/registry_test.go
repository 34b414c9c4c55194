package e2e

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDevAgentRegistry uploads an image file to the dev agent's registry
// with the token it generated and reads it back; without the token the
// upload is refused.
func TestDevAgentRegistry(t *testing.T) {
	a := startAgent(t, "-dev")
	m := regexp.MustCompile(`Registry: (http://\S+)\s+\(upload token in (\S+)\)`).FindStringSubmatch(a.out.String())
	if m == nil {
		t.Fatalf("the dev agent did not print its registry:\n%s", a.out)
	}
	base, tokenFile := m[1], m[2]
	token, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	put := func(auth string) int {
		req, _ := http.NewRequest("PUT", base+"/hello_1.0.json", bytes.NewBufferString(`{"name":"hello"}`))
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := put(""); code != http.StatusUnauthorized {
		t.Errorf("upload without a token: %d", code)
	}
	if code := put(strings.TrimSpace(string(token))); code != http.StatusCreated {
		t.Fatalf("upload with the token: %d", code)
	}
	resp, err := http.Get(base + "/hello_1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != `{"name":"hello"}` {
		t.Fatalf("read back: %d %q", resp.StatusCode, body)
	}
}
