package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// bareBundle is the peer of the start benchmark: an OCI bundle made by
// `runc spec` whose root is the same unpacked image directory the jails
// run on (read-only, as the jails' overlay lower dir), run with runc
// directly.
type bareBundle struct {
	runc, root, dir string
}

// newBareBundle writes the bundle: `runc spec`, then terminal false, the
// benchmark's command and the cached rootfs. The default spec already
// gives the container a fresh network namespace.
func (e *startEnv) newBareBundle() (*bareBundle, error) {
	b := &bareBundle{runc: e.runc, root: filepath.Join(e.root, "bare-runc"), dir: filepath.Join(e.root, "bare")}
	if err := os.MkdirAll(b.dir, 0o755); err != nil {
		return nil, err
	}
	if out, err := exec.Command(e.runc, "spec", "--bundle", b.dir).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("runc spec: %w: %s", err, out)
	}
	rootfs := e.cache.RootfsDir(startPot, startTag)
	err := jsonEdit(filepath.Join(b.dir, "config.json"), func(m map[string]any) {
		proc := m["process"].(map[string]any)
		proc["terminal"] = false
		proc["args"] = toAny(startArgs)
		m["root"] = map[string]any{"path": rootfs, "readonly": true}
	})
	return b, err
}

// once times `runc run --detach` of the bundle, then deletes the
// container (untimed).
func (b *bareBundle) once(ctx context.Context, i int) (time.Duration, error) {
	id := fmt.Sprintf("jailbench-bare-%d", i)
	// stdout and stderr are files, not pipes: the container inherits
	// them, and a pipe would keep Wait waiting for the container.
	errf, err := os.CreateTemp(b.dir, "stderr")
	if err != nil {
		return 0, err
	}
	defer os.Remove(errf.Name())
	defer errf.Close()
	cmd := exec.CommandContext(ctx, b.runc, "--root", b.root, "run", "--detach", "--bundle", b.dir, id)
	cmd.Dir = b.dir
	cmd.Stderr = errf
	t0 := time.Now()
	err = cmd.Run()
	took := time.Since(t0)
	if err != nil {
		msg, _ := os.ReadFile(errf.Name())
		return 0, fmt.Errorf("runc run: %w: %s", err, strings.TrimSpace(string(msg)))
	}
	if out, err := exec.Command(b.runc, "--root", b.root, "delete", "--force", id).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("runc delete: %w: %s", err, out)
	}
	return took, nil
}
