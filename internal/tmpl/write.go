package tmpl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// defaultMode is the mode of an output file that did not exist before.
const defaultMode fs.FileMode = 0o644

// writeIfChanged writes data to path unless path already holds exactly
// data, and reports whether it wrote. The write is atomic: a temporary
// file in the same directory, synced, then renamed over path, with path's
// mode and (where allowed) owner.
func writeIfChanged(path string, data []byte) (bool, error) {
	old, err := os.ReadFile(path)
	if err == nil && bytes.Equal(old, data) {
		return false, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	if err := writeAtomic(path, data); err != nil {
		return false, err
	}
	return true, nil
}

// writeAtomic replaces path with data through a temporary file and a
// rename, so readers see the old or the new content, never a mix.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create directory of %s: %w", path, err)
	}
	mode, st := defaultMode, fs.FileInfo(nil)
	if fi, err := os.Stat(path); err == nil {
		mode, st = fi.Mode().Perm(), fi
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	err = fillTemp(f, data, mode)
	if err == nil && st != nil {
		keepOwner(tmp, st)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func fillTemp(f *os.File, data []byte, mode fs.FileMode) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Chmod(mode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// runCommand runs command with sh -c in its own process group and returns
// its combined output. It ends after timeout even if a daemon it started
// keeps the output pipe open. ctx ending does not stop it: a reload in
// flight finishes.
func runCommand(ctx context.Context, command string, timeout time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	setProcessGroup(cmd)
	cmd.WaitDelay = time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out after %s: %w", timeout, ctx.Err())
	}
	return out.Bytes(), err
}
