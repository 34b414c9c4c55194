package flavour

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	jailrt "github.com/wharf-project/wharf/internal/jail"
)

// scriptPath is where the script is copied inside the rootfs. It sits at
// the root, a directory Run made, so writing it can never follow a symlink
// the base image planted (as /tmp -> /somewhere could be).
const scriptPath = "/.wharf-flavour.sh"

// pipeGrace bounds the wait for output pipes after runc exits.
const pipeGrace = 10 * time.Second

// findRunc returns the path of the runc binary: name (default "runc")
// looked up in PATH, then Debian's location.
func findRunc(name string) (string, error) {
	p, err := jailrt.LookPath(name)
	switch {
	case errors.Is(err, jailrt.ErrUnsupported):
		return "", fmt.Errorf("flavour builds: %w (on FreeBSD use pot's own flavours)", err)
	case err != nil:
		if name == "" {
			name = "runc"
		}
		return "", fmt.Errorf("%s: %w", name, ErrNoRunc)
	}
	return p, nil
}

// jail runs the flavour script in a runc container on rootfs.
type jail struct {
	runc, work, rootfs string
	env                []string
	memoryMB           int64
	stdout, stderr     io.Writer

	id string
	// created are mount points runc will create in the rootfs (absent
	// before the run), removed again afterwards when still empty.
	created []string
}

// run copies script into the rootfs, runs it with /bin/sh in the jail and
// removes it and every trace of the container again.
func (j *jail) run(ctx context.Context, script []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	j.id = "wharf-flavour-" + randomHex(6)
	scriptHost := filepath.Join(j.rootfs, scriptPath)
	if err := writeNew(scriptHost, script, 0o755); err != nil {
		return fmt.Errorf("copy flavour script into the rootfs: %w", err)
	}
	defer os.Remove(scriptHost)
	bundle := filepath.Join(j.work, "bundle")
	if err := j.writeBundle(bundle); err != nil {
		return err
	}
	defer j.removeMountPoints()
	return j.runForeground(ctx, bundle)
}

// writeBundle writes the OCI bundle's config.json.
func (j *jail) writeBundle(bundle string) error {
	s, err := j.spec()
	if err != nil {
		return err
	}
	j.created = missingMountPoints(j.rootfs, s.Mounts)
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode jail spec: %w", err)
	}
	if err := os.MkdirAll(bundle, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(bundle, "config.json"), b, 0o600)
}

// spec builds the jail's hardened spec in host network mode: the image's
// environment (without NOMAD_ variables: a build is not a task), no task
// directories, and RLIMIT_NOFILE no higher than this process's hard limit.
func (j *jail) spec() (*specs.Spec, error) {
	env := make(map[string]string, len(j.env))
	for _, e := range j.env {
		k, v, _ := strings.Cut(e, "=")
		if !strings.HasPrefix(k, "NOMAD_") {
			env[k] = v
		}
	}
	in := jailrt.Input{
		Args: []string{"/bin/sh", scriptPath}, Env: env,
		RootfsPath: j.rootfs, Hostname: "wharf-flavour", HostNetwork: true,
		MemoryMB: j.memoryMB, NofileLimit: jailrt.MaxNofile(), CgroupsPath: j.id,
	}
	if fi, err := os.Stat("/etc/resolv.conf"); err == nil && fi.Mode().IsRegular() {
		in.ResolvConfPath = "/etc/resolv.conf"
	}
	s, err := jailrt.BuildSpec(in)
	if err != nil {
		return nil, fmt.Errorf("flavour jail: %w", err)
	}
	return s, nil
}

// runForeground runs the jail in the foreground (runc run, under runc's
// default root) and interprets its end.
func (j *jail) runForeground(ctx context.Context, bundle string) error {
	out := &tail{}
	rt := &jailrt.Runtime{Path: j.runc, Root: jailrt.DefaultRoot}
	err := rt.Run(ctx, j.id, jailrt.RunOptions{Bundle: bundle, WaitDelay: pipeGrace,
		Stdout: io.MultiWriter(j.stdout, out), Stderr: io.MultiWriter(j.stderr, out)})
	if ctx.Err() != nil {
		return fmt.Errorf("flavour script: %w", ctx.Err())
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return &ScriptError{ExitCode: ee.ExitCode(), Tail: out.Lines()}
	}
	return err
}

// removeMountPoints removes the mount points runc created, deepest first,
// if they are still empty; paths under a symlink are left alone.
func (j *jail) removeMountPoints() {
	for i := len(j.created) - 1; i >= 0; i-- {
		rel := j.created[i]
		if underSymlink(j.rootfs, rel) {
			continue
		}
		p := filepath.Join(j.rootfs, rel)
		fi, err := os.Lstat(p)
		if err != nil || (fi.Mode().IsRegular() && fi.Size() > 0) {
			continue
		}
		_ = os.Remove(p) // fails on a non-empty directory, as wanted
	}
}

// missingMountPoints lists, for each mount destination, the path
// components absent from rootfs (in creation order); a destination whose
// existing part crosses a symlink is skipped since runc resolves it.
func missingMountPoints(rootfs string, mounts []specs.Mount) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range mounts {
		parts := strings.Split(strings.Trim(filepath.Clean(m.Destination), "/"), "/")
		for i := range parts {
			rel := filepath.Join(parts[:i+1]...)
			fi, err := os.Lstat(filepath.Join(rootfs, rel))
			if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
				break
			}
			if errors.Is(err, fs.ErrNotExist) && !seen[rel] {
				seen[rel] = true
				out = append(out, rel)
			}
		}
	}
	return out
}

// underSymlink reports whether a parent of rel inside root is not a plain
// directory (a symlink could send a removal outside the rootfs).
func underSymlink(root, rel string) bool {
	parts := strings.Split(rel, string(filepath.Separator))
	for i := 1; i < len(parts); i++ {
		fi, err := os.Lstat(filepath.Join(root, filepath.Join(parts[:i]...)))
		if err != nil || !fi.IsDir() {
			return true
		}
	}
	return false
}

// writeNew creates path (which must not exist and is not followed if it
// is a symlink) with b and mode.
func writeNew(path string, b []byte, mode fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// randomHex returns 2n random hex digits.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
