package cli

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/image"
	"github.com/wharf-project/wharf/internal/registry"
)

// runImage runs wharf with args and returns the exit code and outputs.
func runImage(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// mustRun fails the test unless wharf args exits 0; it returns stdout.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := runImage(t, args...)
	if code != 0 {
		t.Fatalf("wharf %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// writeRootfs creates a tiny root file system and returns its path.
func writeRootfs(t *testing.T) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "rootfs")
	for name, body := range map[string]string{"etc/motd": "hello\n", "usr/local/bin/app": "#!/bin/sh\necho hi\n"} {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return src
}

// startRegistry serves a fresh registry accepting token and returns its URL.
func startRegistry(t *testing.T, token string) string {
	t.Helper()
	srv, err := registry.New(registry.Config{Dir: t.TempDir(), Tokens: []string{token}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); srv.Close() })
	return ts.URL
}

// lsImages returns the registry's images via `wharf image ls -json`.
func lsImages(t *testing.T, url string) []registry.Image {
	t.Helper()
	var images []registry.Image
	if err := json.Unmarshal([]byte(mustRun(t, "image", "ls", "-registry", url, "-json")), &images); err != nil {
		t.Fatal(err)
	}
	return images
}

func TestImageLifecycle(t *testing.T) {
	t.Setenv(envRegistryToken, "")
	t.Setenv(envRegistry, "")
	work := t.TempDir()
	dir := filepath.Join(work, "images")
	src := writeRootfs(t)

	out := mustRun(t, "image", "build", "-name", "web", "-tag", "1.0", "-cmd", "nginx -g 'daemon off;'",
		"-env", "A=1", "--env", "B=x y", "-port", "80", "-port", "443", "-os", "freebsd", "-arch", "amd64", "-out", dir, src)
	for _, want := range []string{"web_1.0.tar.zst", "web_1.0.json", "web_1.0.sha256", "sha256:"} {
		if !strings.Contains(out, want) {
			t.Errorf("build output lacks %q:\n%s", want, out)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "web_1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	man, err := image.ParseManifest(b)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(man.Cmd, []string{"nginx", "-g", "daemon off;"}) || !slices.Equal(man.Env, []string{"A=1", "B=x y"}) ||
		!slices.Equal(man.ExposedPorts, []int{80, 443}) || man.OS != "freebsd" {
		t.Errorf("manifest = %+v", man)
	}

	prefix := filepath.Join(work, "keys", "signing")
	mustRun(t, "image", "keygen", "-out", prefix)
	if fi, err := os.Stat(prefix + ".key"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("private key: %v, %v", fi, err)
	}
	if code, _, _ := runImage(t, "image", "keygen", "-out", prefix); code != 1 {
		t.Errorf("keygen over existing keys: exit %d, want 1", code)
	}
	if code, _, _ := runImage(t, "image", "verify", "-trust", prefix+".pub", "-dir", dir, "web", "1.0"); code != 1 {
		t.Errorf("verify of unsigned image with -trust: exit %d, want 1", code)
	}
	mustRun(t, "image", "sign", "-key", prefix+".key", "-dir", dir, "web", "1.0")
	out = mustRun(t, "image", "verify", "-trust", prefix+".pub", "-dir", dir, "web", "1.0")
	if !strings.Contains(out, "verified") || !strings.Contains(out, "freebsd/amd64") {
		t.Errorf("verify output:\n%s", out)
	}

	url := startRegistry(t, "s3cret")
	tokenFile := filepath.Join(work, "token")
	if err := os.WriteFile(tokenFile, []byte("# upload token\ns3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "image", "push", "-registry", url, "-token-file", tokenFile, "-dir", dir, "web", "1.0")
	images := lsImages(t, url)
	if len(images) != 1 || images[0].Name != "web" || images[0].Tag != "1.0" || !images[0].Complete || !images[0].Signed {
		t.Fatalf("after push: %+v", images)
	}
	out = mustRun(t, "image", "ls", "-registry", url)
	if !strings.Contains(out, "NAME") || !strings.Contains(out, "web") || !strings.Contains(out, "true") {
		t.Errorf("ls table:\n%s", out)
	}

	t.Setenv(envRegistryToken, "s3cret")
	mustRun(t, "image", "rm", "-registry", url, "web", "1.0")
	if images := lsImages(t, url); len(images) != 0 {
		t.Fatalf("after rm: %+v", images)
	}
	if out := mustRun(t, "image", "ls", "-registry", url); !strings.Contains(out, "No images") {
		t.Errorf("empty ls:\n%s", out)
	}
}

func TestImageVerifyTampered(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "image", "build", "-name", "app", "-tag", "2", "-out", dir, writeRootfs(t))
	mustRun(t, "image", "verify", "-dir", dir, "app", "2")
	p := filepath.Join(dir, "app_2.tar.zst")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runImage(t, "image", "verify", "-dir", dir, "app", "2")
	if code != 1 || !strings.Contains(errOut, "digest mismatch") {
		t.Errorf("verify of tampered image: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runImage(t, "image", "push", "-registry", "http://127.0.0.1:1", "-dir", dir, "app", "2")
	if code != 1 || errOut == "" {
		t.Errorf("push of tampered image: exit %d, stderr %q", code, errOut)
	}
}

func TestImagePushWrongToken(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "image", "build", "-name", "app", "-tag", "2", "-out", dir, writeRootfs(t))
	url := startRegistry(t, "right")
	t.Setenv(envRegistryToken, "wrong")
	code, _, errOut := runImage(t, "image", "push", "-registry", url, "-dir", dir, "app", "2")
	if code != 1 || !strings.Contains(errOut, "the registry refused the token") || !strings.Contains(errOut, url) ||
		!strings.Contains(errOut, "401") {
		t.Errorf("push with wrong token: exit %d, stderr %q", code, errOut)
	}
	if images := lsImages(t, url); len(images) != 0 {
		t.Errorf("registry holds %+v after a refused push", images)
	}
	t.Setenv(envRegistryToken, "")
	code, _, errOut = runImage(t, "image", "push", "-registry", url, "-dir", dir, "app", "2")
	if code != 1 || !strings.Contains(errOut, "no registry token") {
		t.Errorf("push without token: exit %d, stderr %q", code, errOut)
	}
}

func TestImageBuildUsage(t *testing.T) {
	src := writeRootfs(t)
	tests := []struct {
		name string
		args []string
	}{
		{"no name", []string{"-tag", "1", src}},
		{"bad env", []string{"-name", "a", "-tag", "1", "-env", "NOEQUALS", src}},
		{"bad port", []string{"-name", "a", "-tag", "1", "-port", "70000", src}},
		{"bad quote", []string{"-name", "a", "-tag", "1", "-cmd", "sh -c 'x", src}},
		{"no source", []string{"-name", "a", "-tag", "1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"image", "build", "-out", t.TempDir()}, tc.args...)
			if code, _, _ := runImage(t, args...); code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
		})
	}
}

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"nginx -g 'daemon off;'", []string{"nginx", "-g", "daemon off;"}},
		{`sh -c "echo \"hi\" \$HOME"`, []string{"sh", "-c", `echo "hi" $HOME`}},
		{`a\ b  c`, []string{"a b", "c"}},
		{`x '' y`, []string{"x", "", "y"}},
		{"  ", nil},
	}
	for _, tc := range tests {
		got, err := splitCommand(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("splitCommand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{`'x`, `"x`, `x\`} {
		if _, err := splitCommand(bad); err == nil {
			t.Errorf("splitCommand(%q): no error", bad)
		}
	}
}

func TestPushPlanOrder(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "image", "build", "-name", "app", "-tag", "2", "-out", dir, writeRootfs(t))
	order := func() []string {
		t.Helper()
		plan, err := pushPlan(dir, "app", "2")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range plan {
			if len(p.sum) != 64 {
				t.Errorf("%s: digest %q", p.name, p.sum)
			}
			names = append(names, p.name)
		}
		return names
	}
	if got, want := order(), []string{"app_2.tar.zst", "app_2.json", "app_2.sha256"}; !slices.Equal(got, want) {
		t.Errorf("unsigned plan = %q, want %q", got, want)
	}
	prefix := filepath.Join(t.TempDir(), "k")
	mustRun(t, "image", "keygen", "-out", prefix)
	mustRun(t, "image", "sign", "-key", prefix+".key", "-dir", dir, "app", "2")
	if got, want := order(), []string{"app_2.tar.zst", "app_2.json", "app_2.sig", "app_2.sha256"}; !slices.Equal(got, want) {
		t.Errorf("signed plan = %q, want %q", got, want)
	}
}
