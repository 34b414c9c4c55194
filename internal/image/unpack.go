package image

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// Default limits of Unpack. No real image comes near them: a jail's
// rootfs is a few GiB at most, and real files compress by well under
// 1000:1 (zstd gets 3-10:1 on binaries and text); an archive beyond them
// is a decompression bomb meant to fill the node's disk.
const (
	DefaultMaxBytes   int64 = 16 << 30
	DefaultMaxEntries       = 1 << 20
	// DefaultMaxRatio bounds the unpacked size of an archive at this many
	// times its compressed size, once beyond RatioFloor.
	DefaultMaxRatio = 1000
	// RatioFloor is the unpacked size every archive may reach whatever
	// its ratio.
	RatioFloor int64 = 1 << 30
)

// ErrTooLarge is wrapped by the error of an archive whose files exceed
// the unpacked size limit.
var ErrTooLarge = errors.New("image exceeds the unpacked size limit")

// ErrUnsafeEntry is wrapped by every refusal of an archive entry; the error
// text names the entry.
var ErrUnsafeEntry = errors.New("unsafe archive entry")

// UnpackOptions tune Unpack. Zero fields take the defaults.
type UnpackOptions struct {
	// MaxBytes caps the sum of regular file sizes (DefaultMaxBytes).
	MaxBytes int64
	// MaxRatio caps, for UnpackWith, the sum of regular file sizes at
	// MaxRatio times the compressed file's size, but never below
	// RatioFloor (DefaultMaxRatio; negative: no ratio cap).
	MaxRatio int
	// MaxEntries caps the number of archive entries (DefaultMaxEntries).
	MaxEntries int
	// AllowSetid keeps setuid/setgid bits; by default they are dropped.
	AllowSetid bool
}

// ratioFloor is RatioFloor; tests lower it.
var ratioFloor = RatioFloor

// ratioCap is the MaxBytes of o for an archive of compressed bytes.
func ratioCap(o UnpackOptions, compressed int64) int64 {
	o = o.withDefaults()
	if o.MaxRatio < 0 || compressed <= 0 || compressed > (1<<62)/int64(o.MaxRatio) {
		return o.MaxBytes
	}
	return min(o.MaxBytes, max(ratioFloor, compressed*int64(o.MaxRatio)))
}

func (o UnpackOptions) withDefaults() UnpackOptions {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.MaxRatio == 0 {
		o.MaxRatio = DefaultMaxRatio
	}
	return o
}

// Unpack extracts the zstd-compressed tarball at tarZstPath into destDir
// with the default options. See UnpackWith.
func Unpack(ctx context.Context, tarZstPath, destDir string) error {
	return UnpackWith(ctx, tarZstPath, destDir, UnpackOptions{})
}

// UnpackWith streams the zstd-compressed tarball at tarZstPath into destDir,
// which must not exist yet. Entries go into a temporary directory next to
// destDir that is renamed into place at the end, so a failed unpack leaves
// nothing. Absolute names, ".." components, entries under a symlink, hard
// links that leave the tree or point at non-regular files, device nodes,
// fifos and unknown entry types are refused; symlinks are created as they
// are but never followed while writing. Owners are not applied (the files
// belong to the caller).
func UnpackWith(ctx context.Context, tarZstPath, destDir string, o UnpackOptions) error {
	f, err := os.Open(tarZstPath)
	if err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil {
		o.MaxBytes = ratioCap(o, fi.Size())
	}
	zr, err := zstd.NewReader(f, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30))
	if err != nil {
		return fmt.Errorf("unpack %s: %w", tarZstPath, err)
	}
	defer zr.Close()
	if err := unpackStream(ctx, zr, destDir, o); err != nil {
		return fmt.Errorf("unpack %s: %w", filepath.Base(tarZstPath), err)
	}
	return nil
}

// unpackStream extracts the uncompressed tar stream r into destDir through
// a temporary sibling directory.
func unpackStream(ctx context.Context, r io.Reader, destDir string, o UnpackOptions) error {
	if _, err := os.Lstat(destDir); err == nil {
		return fmt.Errorf("destination %s already exists", destDir)
	}
	parent := filepath.Dir(destDir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(destDir)+".unpack-*")
	if err != nil {
		return err
	}
	u := &unpacker{ctx: ctx, root: tmp, opts: o.withDefaults(), rootMode: 0o755}
	if err := u.run(r); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := u.finish(); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.Rename(tmp, destDir); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	return nil
}

// unpacker holds the state of one extraction into root, a fresh private
// directory only this unpacker writes to.
type unpacker struct {
	ctx      context.Context
	root     string
	opts     UnpackOptions
	bytes    int64
	dirs     map[string]fs.FileMode
	rootMode fs.FileMode
}

func (u *unpacker) run(r io.Reader) error {
	u.dirs = map[string]fs.FileMode{}
	tr := tar.NewReader(r)
	for n := 0; ; n++ {
		if err := u.ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read tar: %w", err)
		}
		if n >= u.opts.MaxEntries {
			return fmt.Errorf("archive has more than %d entries", u.opts.MaxEntries)
		}
		if err := u.entry(hdr, tr); err != nil {
			return err
		}
	}
}

// entry extracts one archive entry.
func (u *unpacker) entry(hdr *tar.Header, tr io.Reader) error {
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return nil // pax comments such as git archive's; no file
	}
	rel, err := cleanEntryName(hdr.Name)
	if err != nil {
		return err
	}
	if rel == "." {
		if hdr.Typeflag != tar.TypeDir {
			return unsafeErr(hdr.Name, "root entry is not a directory")
		}
		u.rootMode = u.mode(hdr.Mode)
		return nil
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		return u.dir(rel, hdr)
	case tar.TypeReg, tar.TypeRegA:
		return u.file(rel, hdr, tr)
	case tar.TypeSymlink:
		return u.symlink(rel, hdr)
	case tar.TypeLink:
		return u.hardlink(rel, hdr)
	case tar.TypeChar, tar.TypeBlock:
		return unsafeErr(hdr.Name, "device nodes are refused")
	case tar.TypeFifo:
		return unsafeErr(hdr.Name, "fifos are refused")
	default:
		return unsafeErr(hdr.Name, fmt.Sprintf("entry type %q is not supported", hdr.Typeflag))
	}
}

func unsafeErr(name, why string) error {
	return fmt.Errorf("entry %q: %w: %s", name, ErrUnsafeEntry, why)
}

// cleanEntryName returns the slash-separated relative path of an entry
// name, refusing empty and absolute names, NUL bytes and ".." components.
func cleanEntryName(name string) (string, error) {
	switch {
	case name == "":
		return "", unsafeErr(name, "empty name")
	case strings.ContainsRune(name, 0):
		return "", unsafeErr(name, "name contains a NUL byte")
	case strings.HasPrefix(name, "/"):
		return "", unsafeErr(name, "absolute path")
	}
	if slices.Contains(strings.Split(name, "/"), "..") {
		return "", unsafeErr(name, "path contains \"..\"")
	}
	return path.Clean(name), nil
}

// mode converts a tar mode to permission bits, dropping setuid/setgid
// unless allowed.
func (u *unpacker) mode(m int64) fs.FileMode {
	fm := fs.FileMode(m & 0o777)
	if m&0o1000 != 0 {
		fm |= fs.ModeSticky
	}
	if u.opts.AllowSetid {
		if m&0o4000 != 0 {
			fm |= fs.ModeSetuid
		}
		if m&0o2000 != 0 {
			fm |= fs.ModeSetgid
		}
	}
	return fm
}

// host returns the host path of relative entry path rel.
func (u *unpacker) host(rel string) string {
	return filepath.Join(u.root, filepath.FromSlash(rel))
}

// ensureParent creates the missing parent directories of rel and refuses
// any parent that is a symlink or not a directory, so no write can travel
// through a link the archive created.
func (u *unpacker) ensureParent(name, rel string) error {
	dir := path.Dir(rel)
	if dir == "." {
		return nil
	}
	parts := strings.Split(dir, "/")
	for i := range parts {
		sub := strings.Join(parts[:i+1], "/")
		fi, err := os.Lstat(u.host(sub))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := os.Mkdir(u.host(sub), 0o700); err != nil {
				return err
			}
			u.dirs[sub] = 0o755
		case err != nil:
			return err
		case fi.Mode()&fs.ModeSymlink != 0:
			return unsafeErr(name, fmt.Sprintf("parent %q is a symlink", sub))
		case !fi.IsDir():
			return unsafeErr(name, fmt.Sprintf("parent %q is not a directory", sub))
		}
	}
	return nil
}

// clearTarget removes a non-directory already at rel (tar's "last entry
// wins"); os.Remove never follows a symlink.
func (u *unpacker) clearTarget(name, rel string) error {
	fi, err := os.Lstat(u.host(rel))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return unsafeErr(name, "would replace a directory")
	}
	return os.Remove(u.host(rel))
}

func (u *unpacker) dir(rel string, hdr *tar.Header) error {
	if err := u.ensureParent(hdr.Name, rel); err != nil {
		return err
	}
	fi, err := os.Lstat(u.host(rel))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.Mkdir(u.host(rel), 0o700); err != nil {
			return err
		}
	case err != nil:
		return err
	case !fi.IsDir():
		return unsafeErr(hdr.Name, "directory would replace a non-directory")
	}
	u.dirs[rel] = u.mode(hdr.Mode)
	return nil
}

func (u *unpacker) file(rel string, hdr *tar.Header, tr io.Reader) error {
	if hdr.Size < 0 || hdr.Size > u.opts.MaxBytes-u.bytes {
		return fmt.Errorf("entry %q: %w: its files take more than the size limit of %d bytes (%s)",
			hdr.Name, ErrTooLarge, u.opts.MaxBytes, humanBytes(u.opts.MaxBytes))
	}
	u.bytes += hdr.Size
	if err := u.ensureParent(hdr.Name, rel); err != nil {
		return err
	}
	if err := u.clearTarget(hdr.Name, rel); err != nil {
		return err
	}
	// O_EXCL fails on any existing name, symlinks included.
	f, err := os.OpenFile(u.host(rel), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, &ctxReader{ctx: u.ctx, r: tr})
	if err == nil {
		err = f.Chmod(u.mode(hdr.Mode))
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("entry %q: %w", hdr.Name, err)
	}
	return nil
}

func (u *unpacker) symlink(rel string, hdr *tar.Header) error {
	if hdr.Linkname == "" || strings.ContainsRune(hdr.Linkname, 0) {
		return unsafeErr(hdr.Name, "bad symlink target")
	}
	if err := u.ensureParent(hdr.Name, rel); err != nil {
		return err
	}
	if err := u.clearTarget(hdr.Name, rel); err != nil {
		return err
	}
	return os.Symlink(hdr.Linkname, u.host(rel))
}

func (u *unpacker) hardlink(rel string, hdr *tar.Header) error {
	target, err := cleanEntryName(hdr.Linkname)
	if err != nil {
		return unsafeErr(hdr.Name, fmt.Sprintf("hard link target %q leaves the tree", hdr.Linkname))
	}
	if err := u.checkParents(hdr.Name, target); err != nil {
		return err
	}
	fi, err := os.Lstat(u.host(target))
	if err != nil || !fi.Mode().IsRegular() {
		return unsafeErr(hdr.Name, fmt.Sprintf("hard link target %q is not an earlier regular file", hdr.Linkname))
	}
	if err := u.ensureParent(hdr.Name, rel); err != nil {
		return err
	}
	if target == rel {
		return nil
	}
	if err := u.clearTarget(hdr.Name, rel); err != nil {
		return err
	}
	return os.Link(u.host(target), u.host(rel))
}

// checkParents refuses a path whose existing parents include a symlink;
// unlike ensureParent it creates nothing.
func (u *unpacker) checkParents(name, rel string) error {
	parts := strings.Split(rel, "/")
	for i := 1; i < len(parts); i++ {
		sub := strings.Join(parts[:i], "/")
		fi, err := os.Lstat(u.host(sub))
		if err != nil || !fi.IsDir() {
			return unsafeErr(name, fmt.Sprintf("hard link parent %q is not a directory", sub))
		}
	}
	return nil
}

// finish applies directory modes, deepest first, once nothing more is
// written into them.
func (u *unpacker) finish() error {
	rels := make([]string, 0, len(u.dirs))
	for r := range u.dirs {
		rels = append(rels, r)
	}
	slices.Sort(rels)
	slices.Reverse(rels)
	for _, r := range rels {
		if err := os.Chmod(u.host(r), u.dirs[r]); err != nil {
			return err
		}
	}
	return os.Chmod(u.root, u.rootMode)
}

// ctxReader stops a long copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// humanBytes writes n bytes in GiB or MiB.
func humanBytes(n int64) string {
	if n >= 1<<30 {
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
