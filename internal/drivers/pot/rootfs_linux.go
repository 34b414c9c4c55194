package pot

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/wharf-project/wharf/internal/drivers/pot/spec"
	jailrt "github.com/wharf-project/wharf/internal/jail"
)

// mountRootfs mounts the jail's overlay (the cached image read-only
// below, the task's own upper dir above) and copies the `copy` entries in.
func (d *Driver) mountRootfs(j *jail, conf *spec.Config) error {
	if err := jailrt.MountOverlay(j.rootfs(), j.Lower, filepath.Join(j.Dir, "upper"), filepath.Join(j.Dir, "work")); err != nil {
		return fmt.Errorf("pot: %w", err)
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
	if err := jailrt.UnmountOverlay(j.rootfs()); err != nil {
		return fmt.Errorf("pot: %w", err)
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
		pathEnv = jailrt.DefaultPath
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

// maxCopyDepth bounds the directories a copy entry descends.
const maxCopyDepth = 128

// copyIn copies the host file or directory src to dst inside root. src is
// opened without following any symlink, and every entry under it is
// opened by name from its directory without following one: a jail that
// writes to the volume cannot swap a checked path for a link out of it.
// Symlinks, devices and sockets under src are not copied.
func copyIn(root, src, dst string) error {
	fd, err := unix.Openat2(unix.AT_FDCWD, src, &unix.OpenHow{
		Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS})
	if errors.Is(err, unix.ELOOP) {
		return fmt.Errorf("the host path %s has a symlink in it now (it changed after it was checked)", src)
	}
	if err != nil {
		return fmt.Errorf("open %s: %w", src, err)
	}
	return copyAt(root, fd, src, dst, 0)
}

// copyAt copies what the O_PATH descriptor fd (named name, closed here)
// holds to dst inside root.
func copyAt(root string, fd int, name, dst string, depth int) error {
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("stat %s: %w", name, err)
	}
	mode := fs.FileMode(st.Mode & 0o777)
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		f, err := os.OpenFile("/proc/self/fd/"+strconv.Itoa(fd), os.O_RDONLY, 0)
		if err != nil {
			return fmt.Errorf("open %s: %w", name, err)
		}
		defer f.Close()
		target, err := inRoot(root, dst)
		if err != nil {
			return err
		}
		return copyFile(f, target, mode)
	case unix.S_IFDIR:
	default:
		if depth == 0 {
			return fmt.Errorf("%s is not a regular file or a directory", name)
		}
		return nil
	}
	if depth >= maxCopyDepth {
		return fmt.Errorf("%s: more than %d directories deep", name, maxCopyDepth)
	}
	dir, err := os.OpenFile("/proc/self/fd/"+strconv.Itoa(fd), os.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", name, err)
	}
	defer dir.Close()
	target, err := inRoot(root, dst)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(target, mode); err != nil {
		return err
	}
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	sort.Strings(names)
	for _, n := range names {
		cfd, err := unix.Openat(int(dir.Fd()), n, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.ENOENT) {
			continue // removed since it was listed
		}
		if err != nil {
			return fmt.Errorf("open %s: %w", filepath.Join(name, n), err)
		}
		if err := copyAt(root, cfd, filepath.Join(name, n), filepath.Join(dst, n), depth+1); err != nil {
			return err
		}
	}
	return nil
}

// copyFile copies one open regular file, creating its parent directories.
func copyFile(in *os.File, dst string, mode fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
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
