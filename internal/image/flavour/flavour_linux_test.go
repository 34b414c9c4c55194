package flavour

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const okScript = `set -e
echo "$A $B" > /etc/flavoured
busybox echo hello-from-jail
echo to-stderr >&2
`

// flavourOptions returns options building web:2.0 from the base in dir.
func flavourOptions(t *testing.T, baseDir, script string) Options {
	t.Helper()
	sp := filepath.Join(t.TempDir(), "flavour.sh")
	writeFile(t, sp, script)
	return Options{
		Name: "web", Tag: "2.0", Created: time.Unix(1700000000, 0).UTC(),
		Base:   Base{Name: "base", Tag: "1.0", Dir: baseDir},
		Script: sp, Cmd: []string{"/bin/busybox", "httpd", "-f"}, Env: []string{"B=2"}, Ports: []int{8080},
		OutDir: filepath.Join(t.TempDir(), "out"), TempDir: t.TempDir(),
	}
}

func TestRunBuildsFlavour(t *testing.T) {
	needJail(t)
	baseDir := buildBase(t)
	tests := []struct {
		name string
		base func(o *Options)
	}{
		{"local files", func(*Options) {}},
		{"registry", func(o *Options) {
			ts := httptest.NewServer(http.FileServer(http.Dir(baseDir)))
			t.Cleanup(ts.Close)
			o.Base.Dir, o.Base.URL, o.Base.CacheDir = "", ts.URL, t.TempDir()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := flavourOptions(t, baseDir, okScript)
			tt.base(&o)
			var stdout, stderr syncBuffer
			o.Stdout, o.Stderr = &stdout, &stderr
			b, err := Run(testCtx(t), o)
			if err != nil {
				t.Fatalf("Run: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), "hello-from-jail") || !strings.Contains(stderr.String(), "to-stderr") {
				t.Errorf("output not streamed: stdout %q stderr %q", stdout.String(), stderr.String())
			}
			root := unpackBuilt(t, b)
			if got, err := os.ReadFile(filepath.Join(root, "etc/flavoured")); err != nil || string(got) != "1 2\n" {
				t.Errorf("etc/flavoured = %q, %v", got, err)
			}
			if got, _ := os.ReadFile(filepath.Join(root, "etc/motd")); string(got) != "base\n" {
				t.Errorf("base file etc/motd = %q", got)
			}
			for _, gone := range []string{scriptPath, "local", "secrets", "alloc", "etc/resolv.conf"} {
				if _, err := os.Lstat(filepath.Join(root, gone)); err == nil {
					t.Errorf("image holds %s", gone)
				}
			}
			checkManifest(t, b.Manifest.Cmd, b.Manifest.Env, b.Manifest.ExposedPorts)
			assertNoContainers(t)
			assertEmptyDir(t, o.TempDir)
		})
	}
}

func checkManifest(t *testing.T, cmd, env []string, ports []int) {
	t.Helper()
	if want := []string{"/bin/busybox", "httpd", "-f"}; !reflect.DeepEqual(cmd, want) {
		t.Errorf("cmd = %q, want %q", cmd, want)
	}
	if want := []string{"PATH=/bin", "A=1", "B=2"}; !reflect.DeepEqual(env, want) {
		t.Errorf("env = %q, want %q", env, want)
	}
	if want := []int{80, 8080}; !reflect.DeepEqual(ports, want) {
		t.Errorf("ports = %v, want %v", ports, want)
	}
}

func TestRunFailingScript(t *testing.T) {
	needJail(t)
	o := flavourOptions(t, buildBase(t), "echo about to fail\nexit 7\n")
	_, err := Run(testCtx(t), o)
	var se *ScriptError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a ScriptError", err)
	}
	if se.ExitCode != 7 || !strings.Contains(err.Error(), "about to fail") || !strings.Contains(err.Error(), "status 7") {
		t.Errorf("err = %v (code %d)", err, se.ExitCode)
	}
	assertNoContainers(t)
	assertEmptyDir(t, o.TempDir)
	if _, err := os.Stat(o.OutDir); err == nil {
		t.Error("output directory created by a failed build")
	}
}

func TestRunCancelKillsJail(t *testing.T) {
	needJail(t)
	o := flavourOptions(t, buildBase(t), "echo started\nbusybox sleep 60\n")
	var stdout syncBuffer
	o.Stdout = &stdout
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	errc := make(chan error, 1)
	go func() { _, err := Run(ctx, o); errc <- err }()
	waitFor(t, "the script to start", func() bool { return strings.Contains(stdout.String(), "started") })
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	assertNoContainers(t)
	assertEmptyDir(t, o.TempDir)
}

func TestRunRefusesTamperedBase(t *testing.T) {
	needJail(t)
	baseDir := buildBase(t)
	f, err := os.OpenFile(filepath.Join(baseDir, "base_1.0.tar.zst"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("junk")
	f.Close()
	o := flavourOptions(t, baseDir, "exit 0\n")
	if _, err := Run(testCtx(t), o); err == nil || !strings.Contains(err.Error(), "base image") {
		t.Fatalf("err = %v, want a base image verification error", err)
	}
	assertEmptyDir(t, o.TempDir)
}
