package e2e

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestRegistryUploadLimit runs the dev agent with
// limits.registry_max_upload = 1MiB: uploads over it, declared or
// streamed, get 413 naming the limit and leave nothing behind; one under
// it is stored.
func TestRegistryUploadLimit(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "agent.hcl")
	if err := os.WriteFile(cfg, []byte("limits {\n  registry_max_upload = \"1MiB\"\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := startAgent(t, "-dev", "-config", cfg)
	m := regexp.MustCompile(`Registry: (http://\S+)\s+\(upload token in (\S+)\)`).FindStringSubmatch(a.out.String())
	if m == nil {
		t.Fatalf("the dev agent did not print its registry:\n%s", a.out)
	}
	base, tokenFile := m[1], m[2]
	token, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	put := func(name string, body io.Reader, length int64) (int, string) {
		req, _ := http.NewRequest("PUT", base+"/"+name, body)
		req.ContentLength = length
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	big := make([]byte, 2<<20)
	for _, tc := range []struct {
		name   string
		body   io.Reader
		length int64
	}{
		{"declared", bytes.NewReader(big), int64(len(big))},
		{"streamed", io.MultiReader(bytes.NewReader(big)), -1},
	} {
		code, body := put("big_"+tc.name+".tar.zst", tc.body, tc.length)
		if code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "limit is 1048576 bytes (1.0 MiB)") {
			t.Errorf("%s upload of 2 MiB: %d %q, want 413 naming the 1 MiB limit", tc.name, code, body)
		}
		resp, err := http.Get(base + "/big_" + tc.name + ".tar.zst")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s upload over the limit left a file: GET %d", tc.name, resp.StatusCode)
		}
	}
	if code, body := put("small_1.tar.zst", bytes.NewReader(make([]byte, 512<<10)), 512<<10); code != http.StatusCreated {
		t.Errorf("upload under the limit: %d %q", code, body)
	}
}
