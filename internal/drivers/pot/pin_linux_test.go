package pot_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/pot"
	"github.com/wharf-project/wharf/internal/image/imagetest"
	"github.com/wharf-project/wharf/internal/structs"
)

// gatedRegistry serves the test image, but holds every request until
// release is closed; asked is closed at the first request.
func gatedRegistry(t *testing.T) (url string, asked <-chan struct{}, release chan struct{}) {
	t.Helper()
	dir := t.TempDir()
	imagetest.Build(t, dir, "bb", "1", "/bin/sh", "-c", "echo default command")
	a, r := make(chan struct{}), make(chan struct{})
	var once sync.Once
	files := http.FileServer(http.Dir(dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		once.Do(func() { close(a) })
		<-r
		files.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, a, r
}

// TestHostMountSwappedAfterCheck: a jail that writes to a host volume
// swaps a directory another task mounts for a symlink to a host directory
// outside every volume, after the driver checked the path and before
// runc mounts it (here: while the image downloads). The task must not
// start with the outside directory mounted; the driver refuses it.
func TestHostMountSwappedAfterCheck(t *testing.T) {
	needJails(t)
	o := options(t, newTestNet(t))
	vol, outside := t.TempDir(), t.TempDir()
	sub := filepath.Join(vol, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "f"), []byte("volume\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "f"), []byte("host secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o.HostVolumes = map[string]*structs.ClientHostVolumeConfig{"v": {Name: "v", Path: vol}}
	d := pot.New(o)
	url, asked, release := gatedRegistry(t)
	cfg := taskConfig(t, url, map[string]any{"command": "/bin/sleep", "args": []any{"1000"},
		"mount": []any{sub + ":/data"}})
	errc := make(chan error, 1)
	go func() {
		_, err := d.StartTask(ctx(t), cfg)
		errc <- err
	}()
	<-asked
	if err := os.Rename(sub, filepath.Join(vol, "old")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, sub); err != nil {
		t.Fatal(err)
	}
	close(release)
	err := <-errc
	if err == nil {
		t.Cleanup(func() { _ = d.DestroyTask(ctx(t), cfg.ID, true) })
		var out bytes.Buffer
		_, _ = d.ExecTask(ctx(t), cfg.ID, &drivers.ExecOptions{Command: []string{"/bin/cat", "/data/f"}, Stdout: &out, Stderr: &out})
		t.Fatalf("the task started; /data/f in the jail: %q, want a refusal", out.String())
	}
	if !strings.Contains(err.Error(), "symlink") {
		t.Errorf("refusal %q, want it to name the symlink", err)
	}
	if left := jailLeftovers(t, o); len(left) > 0 {
		t.Errorf("leftovers after the refusal: %v", left)
	}
	if _, err := os.Stat(filepath.Join(vol, "old", "f")); err != nil {
		t.Errorf("the volume's file after the refusal: %v", err)
	}
}

// TestHostMountsPinnedAndReleased: a read-write and a file mount of a
// host volume work through their pins, a write lands in the volume, and
// after the task is destroyed nothing stays mounted and the volume's files
// are all there.
func TestHostMountsPinnedAndReleased(t *testing.T) {
	needJails(t)
	o := options(t, newTestNet(t))
	vol := t.TempDir()
	if err := os.Mkdir(filepath.Join(vol, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(vol, "d", "keep"), []byte("keep\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(vol, "conf"), []byte("conf\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o.HostVolumes = map[string]*structs.ClientHostVolumeConfig{"v": {Name: "v", Path: vol}}
	d := pot.New(o)
	cfg := taskConfig(t, registry(t), map[string]any{"command": "/bin/sleep", "args": []any{"1000"},
		"mount": []any{filepath.Join(vol, "d") + ":/data"}, "mount_read_only": []any{filepath.Join(vol, "conf") + ":/etc/app.conf"}})
	if _, err := d.StartTask(ctx(t), cfg); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	script := "cat /data/keep /etc/app.conf && echo new > /data/new && echo written"
	if _, err := d.ExecTask(ctx(t), cfg.ID, &drivers.ExecOptions{Command: []string{"/bin/sh", "-c", script}, Stdout: &out, Stderr: &out}); err != nil {
		t.Fatal(err)
	}
	if want := "keep\nconf\nwritten\n"; out.String() != want {
		t.Errorf("in the jail: %q, want %q", out.String(), want)
	}
	if err := d.DestroyTask(ctx(t), cfg.ID, true); err != nil {
		t.Fatal(err)
	}
	if left := jailLeftovers(t, o); len(left) > 0 {
		t.Errorf("leftovers: %v", left)
	}
	for _, f := range []string{"d/keep", "d/new", "conf"} {
		if _, err := os.Stat(filepath.Join(vol, f)); err != nil {
			t.Errorf("volume file %s after destroy: %v", f, err)
		}
	}
}

// TestCopySwappedAfterCheck: as TestHostMountSwappedAfterCheck, for a
// copy entry: the file swapped for a symlink to a host file outside every
// volume is not copied into the jail; a directory copied with a symlink
// and a fifo in it copies neither.
func TestCopySwappedAfterCheck(t *testing.T) {
	needJails(t)
	o := options(t, newTestNet(t))
	vol, outside := t.TempDir(), t.TempDir()
	conf, tree := filepath.Join(vol, "conf"), filepath.Join(vol, "tree")
	if err := os.WriteFile(conf, []byte("volume\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("host secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(tree, "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tree, "a", "f"), []byte("tree\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(tree, "a", "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(tree, "dirlink")); err != nil {
		t.Fatal(err)
	}
	if err := unixMkfifo(filepath.Join(tree, "fifo")); err != nil {
		t.Fatal(err)
	}
	o.HostVolumes = map[string]*structs.ClientHostVolumeConfig{"v": {Name: "v", Path: vol}}
	d := pot.New(o)

	cfg := taskConfig(t, registry(t), map[string]any{"command": "/bin/sleep", "args": []any{"1000"},
		"copy": []any{tree + ":/tree"}})
	if _, err := d.StartTask(ctx(t), cfg); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := d.ExecTask(ctx(t), cfg.ID, &drivers.ExecOptions{Command: []string{"/bin/sh", "-c", "for f in /tree/* /tree/*/*; do echo $f; done; cat /tree/a/f"},
		Stdout: &out, Stderr: &out}); err != nil {
		t.Fatal(err)
	}
	if want := "/tree/a\n/tree/a/f\ntree\n"; out.String() != want {
		t.Errorf("copied tree in the jail:\n%s\nwant:\n%s", out.String(), want)
	}
	if err := d.DestroyTask(ctx(t), cfg.ID, true); err != nil {
		t.Fatal(err)
	}

	// A second driver, so the image is fetched (and held) again.
	o = options(t, newTestNet(t))
	o.HostVolumes = map[string]*structs.ClientHostVolumeConfig{"v": {Name: "v", Path: vol}}
	d = pot.New(o)
	url, asked, release := gatedRegistry(t)
	cfg = taskConfig(t, url, map[string]any{"command": "/bin/sleep", "args": []any{"1000"},
		"copy": []any{conf + ":/etc/app.conf"}})
	errc := make(chan error, 1)
	go func() {
		_, err := d.StartTask(ctx(t), cfg)
		errc <- err
	}()
	<-asked
	if err := os.Remove(conf); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret"), conf); err != nil {
		t.Fatal(err)
	}
	close(release)
	err := <-errc
	if err == nil {
		t.Cleanup(func() { _ = d.DestroyTask(ctx(t), cfg.ID, true) })
		out.Reset()
		_, _ = d.ExecTask(ctx(t), cfg.ID, &drivers.ExecOptions{Command: []string{"/bin/cat", "/etc/app.conf"}, Stdout: &out, Stderr: &out})
		t.Fatalf("the task started; /etc/app.conf in the jail: %q, want a refusal", out.String())
	}
	if !strings.Contains(err.Error(), "symlink") {
		t.Errorf("refusal %q, want it to name the symlink", err)
	}
	if left := jailLeftovers(t, o); len(left) > 0 {
		t.Errorf("leftovers after the refusal: %v", left)
	}
}

func unixMkfifo(p string) error { return syscall.Mkfifo(p, 0o644) }
