package pot

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/wharf-project/wharf/internal/drivers/pot/spec"
)

// mountRootfs mounts the jail's overlay (the cached image read-only
// below, the task's own upper dir above) and copies the `copy` entries in.
func (d *Driver) mountRootfs(j *jail, conf *spec.Config) error {
	upper, work := filepath.Join(j.Dir, "upper"), filepath.Join(j.Dir, "work")
	for _, dir := range []string{upper, work, j.rootfs()} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("pot: rootfs: %w", err)
		}
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", j.Lower, upper, work)
	if err := unix.Mount("overlay", j.rootfs(), "overlay", unix.MS_NODEV, opts); err != nil {
		return fmt.Errorf("pot: mount overlay rootfs on %s: %w", j.rootfs(), err)
	}
	j.Mounted = true
	if err := j.save(); err != nil {
		return fmt.Errorf("pot: record jail: %w", err)
	}
	for i, c := range conf.Copies {
		if err := copyIn(j.rootfs(), c.Src, c.Dst); err != nil {
			return fmt.Errorf("pot: config.copy[%d]: %w", i, err)
		}
	}
	return nil
}

// unmountRootfs unmounts the jail's overlay; one that is not mounted is
// not an error.
func unmountRootfs(j *jail) error {
	err := unix.Unmount(j.rootfs(), 0)
	if errors.Is(err, unix.EBUSY) {
		err = unix.Unmount(j.rootfs(), unix.MNT_DETACH)
	}
	if err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("pot: unmount %s: %w", j.rootfs(), err)
	}
	return nil
}

// maxLinks bounds symlink resolution, as the kernel's ELOOP limit.
const maxLinks = 40

// inRoot resolves p inside root as the jail would see it: symlinks are
// followed but can never leave root. It returns the host path.
func inRoot(root, p string) (string, error) {
	var cur string // resolved, relative to root, no leading slash
	rest := strings.Split(filepath.Clean("/"+p), "/")
	links := 0
	for len(rest) > 0 {
		part := rest[0]
		rest = rest[1:]
		switch part {
		case "", ".":
			continue
		case "..":
			cur = filepath.Dir("/" + cur)[1:]
			continue
		}
		next := filepath.Join(cur, part)
		fi, err := os.Lstat(filepath.Join(root, next))
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if links++; links > maxLinks {
			return "", fmt.Errorf("%s: too many levels of symbolic links", p)
		}
		target, err := os.Readlink(filepath.Join(root, next))
		if err != nil {
			return "", err
		}
		if filepath.IsAbs(target) {
			cur = ""
		}
		rest = append(strings.Split(target, "/"), rest...)
	}
	return filepath.Join(root, cur), nil
}

// checkCommand makes sure the jail's command exists in its rootfs, so a
// wrong image or command fails with a clear message before runc runs.
func checkCommand(root string, args []string, pathEnv, image string) error {
	if len(args) == 0 {
		return fmt.Errorf("pot: image %s has no default command and the task sets none (config.command)", image)
	}
	cmd := args[0]
	if strings.Contains(cmd, "/") {
		if isExecutable(root, cmd) {
			return nil
		}
		return fmt.Errorf("pot: command %q is not an executable file in image %s", cmd, image)
	}
	if pathEnv == "" {
		pathEnv = spec.DefaultPath
	}
	for _, dir := range filepath.SplitList(pathEnv) {
		if isExecutable(root, filepath.Join("/", dir, cmd)) {
			return nil
		}
	}
	return fmt.Errorf("pot: command %q is not found in image %s (PATH %s)", cmd, image, pathEnv)
}

// isExecutable reports whether p in root is a regular file with an
// execute bit.
func isExecutable(root, p string) bool {
	host, err := inRoot(root, p)
	if err != nil {
		return false
	}
	fi, err := os.Stat(host)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// copyIn copies the host file or directory src to dst inside root.
func copyIn(root, src, dst string) error {
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	target, err := inRoot(root, dst)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return copyFile(src, target, fi.Mode())
	}
	return filepath.WalkDir(src, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to, err := inRoot(root, filepath.Join(dst, rel))
		if err != nil {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		switch {
		case e.IsDir():
			return os.MkdirAll(to, info.Mode().Perm())
		case info.Mode().IsRegular():
			return copyFile(p, to, info.Mode())
		}
		return nil // symlinks, devices and sockets are not copied
	})
}

// copyFile copies one regular file, creating its parent directories.
func copyFile(src, dst string, mode fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode.Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
