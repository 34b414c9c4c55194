package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startRegistry runs `wharf registry` on a free port over a fresh
// directory, accepting token for uploads, and returns its URL.
func startRegistry(t *testing.T, token string) string {
	t.Helper()
	dir := t.TempDir()
	tokenFile := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(tokenFile, []byte("# uploads\n"+token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, wharfBin, "registry", "-dir", dir, "-port", strconv.Itoa(port), "-token-file", tokenFile)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitFor(t, 20*time.Second, "the registry to answer", func() bool {
		resp, err := http.Get(base + "/v1/images")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	return base
}

// TestRegistryCLIPushListRemove builds an image with the CLI, pushes it
// to a standalone registry, lists it, pulls it back and removes it, all
// through the registry client the CLI shares with the image fetcher.
func TestRegistryCLIPushListRemove(t *testing.T) {
	const token = "e2e-registry-token"
	base := startRegistry(t, token)
	src, out, pulled := t.TempDir(), t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "hello.txt"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cli := func(env []string, args ...string) (string, int) {
		t.Helper()
		return runEnv(t, append([]string{"WHARF_REGISTRY=" + base}, env...), args...)
	}
	if o, code := cli(nil, "image", "build", "-name", "hello", "-tag", "1.0", "-cmd", "/bin/true", "-out", out, src); code != 0 {
		t.Fatalf("build: %d\n%s", code, o)
	}
	if o, code := cli([]string{"WHARF_REGISTRY_TOKEN=wrong"}, "image", "push", "-dir", out, "hello", "1.0"); code == 0 ||
		!strings.Contains(o, "the registry refused the token") {
		t.Fatalf("push with a wrong token: %d\n%s", code, o)
	}
	if o, code := cli([]string{"WHARF_REGISTRY_TOKEN=" + token}, "image", "push", "-dir", out, "hello", "1.0"); code != 0 {
		t.Fatalf("push: %d\n%s", code, o)
	}
	o, code := cli(nil, "image", "ls", "-json")
	var listed []struct {
		Name, Tag string
		Complete  bool
	}
	if code != 0 || json.Unmarshal([]byte(o), &listed) != nil || len(listed) != 1 ||
		listed[0].Name != "hello" || listed[0].Tag != "1.0" || !listed[0].Complete {
		t.Fatalf("ls -json: %d\n%s", code, o)
	}
	if o, code := cli(nil, "image", "pull", "-dir", pulled, "hello", "1.0"); code != 0 {
		t.Fatalf("pull: %d\n%s", code, o)
	}
	for _, ext := range []string{".tar.zst", ".json", ".sha256"} {
		a, errA := os.ReadFile(filepath.Join(out, "hello_1.0"+ext))
		b, errB := os.ReadFile(filepath.Join(pulled, "hello_1.0"+ext))
		if errA != nil || errB != nil || string(a) != string(b) {
			t.Fatalf("pulled %s differs from the pushed one (%v, %v)", ext, errA, errB)
		}
	}
	if o, code := cli([]string{"WHARF_REGISTRY_TOKEN=" + token}, "image", "rm", "hello", "1.0"); code != 0 {
		t.Fatalf("rm: %d\n%s", code, o)
	}
	if o, code := cli(nil, "image", "ls"); code != 0 || !strings.Contains(o, "No images in "+base) {
		t.Fatalf("ls after rm: %d\n%s", code, o)
	}
}

// TestImageCommandsRefuseHostileRegistries points the CLI at servers that
// are not registries or misbehave: each command fails with a clear error
// instead of hanging, decoding garbage or reading without bound.
func TestImageCommandsRefuseHostileRegistries(t *testing.T) {
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/v1/images":
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html>please sign in</html>")
		case strings.HasSuffix(r.URL.Path, ".json"):
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, "[")
			chunk := strings.Repeat(" ", 64<<10)
			for range 64 { // 4 MiB, over the 1 MiB bound of an image's small files
				if _, err := io.WriteString(w, chunk); err != nil {
					return
				}
			}
		default:
			w.WriteHeader(http.StatusTeapot)
			io.WriteString(w, strings.Repeat("x", 1<<20))
		}
	}))
	t.Cleanup(hostile.Close)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"ls of an html page", []string{"image", "ls", "-registry", hostile.URL}, `"text/html", not JSON`},
		{"pull of a huge manifest", []string{"image", "pull", "-registry", hostile.URL, "-dir", t.TempDir(), "web", "1.0"}, "larger than the limit"},
		{"rm answered with a teapot", []string{"image", "rm", "-registry", hostile.URL, "web", "1.0"}, "418 I'm a teapot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, code := runEnv(t, []string{"WHARF_REGISTRY_TOKEN=t"}, tt.args...)
			if code == 0 || !strings.Contains(o, tt.want) || len(o) > 64<<10 {
				t.Fatalf("wharf %v: exit %d, %d bytes of output, want a failure saying %q:\n%.2000s", tt.args, code, len(o), tt.want, o)
			}
		})
	}
}
