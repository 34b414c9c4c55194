package cli

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/image/flavour"
)

func TestParseFrom(t *testing.T) {
	t.Setenv(envRegistry, "http://env-registry:9080")
	tests := []struct {
		from, dir string
		want      flavour.Base
		err       string
	}{
		{"web:1.0", "", flavour.Base{Name: "web", Tag: "1.0", URL: "http://env-registry:9080"}, ""},
		{"http://r:9080/web:1.0", "", flavour.Base{Name: "web", Tag: "1.0", URL: "http://r:9080"}, ""},
		{"https://r.example/sub/dir/nginx-nomad-amd64-13_1:1.1.13", "", flavour.Base{Name: "nginx-nomad-amd64-13_1", Tag: "1.1.13", URL: "https://r.example/sub/dir"}, ""},
		{"web:1.0", "./images", flavour.Base{Name: "web", Tag: "1.0", Dir: "./images"}, ""},
		{"http://r/web:1.0", "./images", flavour.Base{}, "-from-dir"},
		{"web", "", flavour.Base{}, "NAME:TAG"},
		{"http://r:9080", "", flavour.Base{}, "NAME:TAG"},
		{"web:..", "", flavour.Base{}, "tag"},
	}
	for _, tt := range tests {
		t.Run(tt.from+" "+tt.dir, func(t *testing.T) {
			got, err := parseFrom(tt.from, tt.dir)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("err = %v, want it to mention %q", err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseFrom = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestImageBuildFlavourUsage(t *testing.T) {
	src := writeRootfs(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"script without from", []string{"-script", "x.sh", src}, "need -from"},
		{"from without script", []string{"-from", "base:1"}, "-script"},
		{"from and src", []string{"-from", "base:1", "-script", "x.sh", src}, "not both"},
		{"platform with from", []string{"-from", "base:1", "-script", "x.sh", "-os", "freebsd"}, "-os and -arch"},
		{"bad from", []string{"-from", "base", "-script", "x.sh"}, "NAME:TAG"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"image", "build", "-name", "a", "-tag", "1", "-out", t.TempDir()}, tt.args...)
			code, _, errOut := runImage(t, args...)
			if code != 1 || !strings.Contains(errOut, tt.want) || !strings.Contains(errOut, "-help") {
				t.Errorf("exit %d, stderr %q; want a usage error about %q", code, errOut, tt.want)
			}
		})
	}
}

func TestImageBuildFlavour(t *testing.T) {
	needFlavourJail(t)
	base := t.TempDir()
	mustRun(t, "image", "build", "-name", "base", "-tag", "1", "-cmd", "/bin/sh", "-env", "PATH=/bin", "-out", base, busyboxRoot(t))
	script := filepath.Join(t.TempDir(), "flavour.sh")
	if err := os.WriteFile(script, []byte("echo \"$GREETING\" > /greeting\nbusybox echo flavoured\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := runImage(t, "image", "build", "-name", "web", "-tag", "2", "-from", serveDir(t, base)+"/base:1",
		"-script", script, "-env", "GREETING=hi", "-port", "80", "-out", out)
	if code != 0 {
		t.Fatalf("flavour build: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"flavoured", "Built image web:2", "web_2.tar.zst"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	mustRun(t, "image", "verify", "-dir", out, "web", "2")

	if err := os.WriteFile(script, []byte("echo broken >&2\nexit 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runImage(t, "image", "build", "-name", "web", "-tag", "3", "-from", "base:1", "-from-dir", base,
		"-script", script, "-out", out)
	if code != 1 || !strings.Contains(stderr, "status 3") || !strings.Contains(stderr, "broken") {
		t.Errorf("failing script: exit %d, stderr %q", code, stderr)
	}
}

// needFlavourJail skips (fails under CI) without root, runc and busybox.
func needFlavourJail(t *testing.T) {
	t.Helper()
	_, errRunc := exec.LookPath("runc")
	if errRunc != nil {
		_, errRunc = os.Stat("/usr/sbin/runc")
	}
	_, errBB := exec.LookPath("busybox")
	why := ""
	switch {
	case os.Geteuid() != 0:
		why = "needs root"
	case errRunc != nil:
		why = "needs runc"
	case errBB != nil:
		why = "needs busybox"
	default:
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal(why)
	}
	t.Skip(why)
}

// busyboxRoot makes a rootfs holding busybox, its libraries and /bin/sh.
func busyboxRoot(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "rootfs")
	bb, _ := exec.LookPath("busybox")
	ldd, err := exec.Command("ldd", bb).Output()
	if err != nil {
		t.Fatalf("ldd: %v", err)
	}
	files := []string{bb}
	sc := bufio.NewScanner(bytes.NewReader(ldd))
	for sc.Scan() {
		for _, f := range strings.Fields(sc.Text()) {
			if strings.HasPrefix(f, "/") {
				files = append(files, f)
			}
		}
	}
	for i, f := range files {
		dst := filepath.Join(root, f)
		if i == 0 {
			dst = filepath.Join(root, "bin/busybox")
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("busybox", filepath.Join(root, "bin/sh")); err != nil {
		t.Fatal(err)
	}
	return root
}
