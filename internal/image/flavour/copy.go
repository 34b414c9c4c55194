package flavour

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"
)

// inode identifies a file for hard link detection.
type inode struct{ dev, ino uint64 }

// dirMeta is a directory's mode and times, applied after its content.
type dirMeta struct {
	path  string
	mode  fs.FileMode
	mtime time.Time
}

// copier holds the state of one CopyTree.
type copier struct {
	ctx   context.Context
	src   string
	dst   string
	links map[inode]string
	dirs  []dirMeta
}

// CopyTree copies the directory tree src to dst, which must not exist. It
// keeps permission bits (setuid, setgid and sticky included), owners,
// modification times, symlinks (never followed) and hard links between
// files of the tree; sockets are skipped and device nodes and fifos are
// refused. Directories get their mode and time after their content, so a
// read-only directory does not stop the copy. On failure dst is removed.
func CopyTree(ctx context.Context, src, dst string) error {
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("destination %s already exists", dst)
	}
	c := &copier{ctx: ctx, src: src, dst: dst, links: map[inode]string{}}
	if err := filepath.WalkDir(src, c.visit); err != nil {
		os.RemoveAll(dst)
		return err
	}
	if err := c.finishDirs(); err != nil {
		os.RemoveAll(dst)
		return err
	}
	return nil
}

// visit copies one entry of the walk.
func (c *copier) visit(p string, d fs.DirEntry, err error) error {
	if err != nil {
		return err
	}
	if err := c.ctx.Err(); err != nil {
		return err
	}
	rel, err := filepath.Rel(c.src, p)
	if err != nil {
		return err
	}
	to := filepath.Join(c.dst, rel)
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	switch mode := fi.Mode(); {
	case mode.IsDir():
		return c.dir(to, fi)
	case mode&fs.ModeSymlink != 0:
		return c.symlink(p, to, fi)
	case mode.IsRegular():
		return c.file(p, to, fi)
	case mode&fs.ModeSocket != 0:
		return nil
	default:
		return fmt.Errorf("%s: %v is not a regular file, directory or symlink", rel, mode.Type())
	}
}

// dir creates a private directory; its real mode comes in finishDirs.
func (c *copier) dir(to string, fi fs.FileInfo) error {
	if err := os.Mkdir(to, 0o700); err != nil {
		return err
	}
	c.dirs = append(c.dirs, dirMeta{path: to, mode: fi.Mode(), mtime: fi.ModTime()})
	return chown(to, fi)
}

// symlink recreates a symlink with its target as written.
func (c *copier) symlink(p, to string, fi fs.FileInfo) error {
	target, err := os.Readlink(p)
	if err != nil {
		return err
	}
	if err := os.Symlink(target, to); err != nil {
		return err
	}
	return chown(to, fi)
}

// file copies a regular file, or links it to an earlier copy of the same
// inode.
func (c *copier) file(p, to string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if ok && st.Nlink > 1 {
		id := inode{dev: uint64(st.Dev), ino: uint64(st.Ino)}
		if first, seen := c.links[id]; seen {
			return os.Link(first, to)
		}
		c.links[id] = to
	}
	if err := copyContent(p, to); err != nil {
		return err
	}
	if err := chown(to, fi); err != nil {
		return err
	}
	// Chmod after chown: chown clears setuid and setgid bits.
	if err := os.Chmod(to, fi.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
		return err
	}
	return os.Chtimes(to, fi.ModTime(), fi.ModTime())
}

// copyContent copies the bytes of regular file p into a new file to.
func copyContent(p, to string) error {
	in, err := os.Open(p)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", p, err)
	}
	return out.Close()
}

// finishDirs applies the directories' modes and times, deepest first so a
// parent's time is not changed by later work in it.
func (c *copier) finishDirs() error {
	for _, d := range slices.Backward(c.dirs) {
		if err := os.Chmod(d.path, d.mode&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
			return err
		}
		if err := os.Chtimes(d.path, d.mtime, d.mtime); err != nil {
			return err
		}
	}
	return nil
}

// chown gives to the owner of fi when running as root; other users cannot
// give files away and keep their own.
func chown(to string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || os.Geteuid() != 0 {
		return nil
	}
	if err := os.Lchown(to, int(st.Uid), int(st.Gid)); err != nil && !errors.Is(err, fs.ErrPermission) {
		return err
	}
	return nil
}
