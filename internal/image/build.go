package image

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Built is the result of Build: the paths of the written files and the
// digests recorded in the digest file.
type Built struct {
	Manifest     Manifest
	RootfsPath   string
	ManifestPath string
	DigestPath   string
	// RootfsDigest and ManifestDigest are "sha256:<hex>".
	RootfsDigest   string
	ManifestDigest string
}

// BuildOptions tune Build. The zero value gives reproducible tarballs.
type BuildOptions struct {
	// KeepOwners records the files' uid/gid instead of 0/0.
	KeepOwners bool
	// KeepMtimes records the files' modification times instead of the epoch.
	KeepMtimes bool
}

// Build packs srcDir into outDir as image m.Name:m.Tag with the default
// (reproducible) options. See BuildWith.
func Build(srcDir string, m Manifest, outDir string) (*Built, error) {
	return BuildWith(srcDir, m, outDir, BuildOptions{})
}

// BuildWith packs srcDir into "<name>_<tag>.tar.zst", writes the manifest
// (with RootfsDigest and Size filled in) and the digest file into outDir.
// Entries are sorted by path; only regular files, directories and symlinks
// are stored, sockets are skipped, and device nodes and fifos are refused.
// Each file is written to a temporary name and renamed into place.
func BuildWith(srcDir string, m Manifest, outDir string, o BuildOptions) (*Built, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	names, err := FileNames(m.Name, m.Tag)
	if err != nil {
		return nil, err
	}
	rootfsPath := filepath.Join(outDir, names.Rootfs)
	var sum string
	var size int64
	err = writeAtomic(rootfsPath, func(w io.Writer) error {
		h := sha256.New()
		cw := &countWriter{w: io.MultiWriter(w, h)}
		if err := writeTarZst(cw, srcDir, o); err != nil {
			return err
		}
		sum, size = hex.EncodeToString(h.Sum(nil)), cw.n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("build image %s: %w", m.Ref(), err)
	}
	m.RootfsDigest, m.Size = "sha256:"+sum, size
	mb, err := MarshalManifest(&m)
	if err != nil {
		return nil, err
	}
	mPath := filepath.Join(outDir, names.Manifest)
	if err := writeFileAtomic(mPath, mb); err != nil {
		return nil, fmt.Errorf("build image %s: %w", m.Ref(), err)
	}
	mSum := sha256Hex(mb)
	dPath := filepath.Join(outDir, names.Digest)
	digests := FormatDigests(Digests{names.Rootfs: sum, names.Manifest: mSum})
	if err := writeFileAtomic(dPath, digests); err != nil {
		return nil, fmt.Errorf("build image %s: %w", m.Ref(), err)
	}
	return &Built{
		Manifest: m, RootfsPath: rootfsPath, ManifestPath: mPath, DigestPath: dPath,
		RootfsDigest: m.RootfsDigest, ManifestDigest: "sha256:" + mSum,
	}, nil
}

// writeTarZst writes the deterministic zstd-compressed tar of srcDir to w.
func writeTarZst(w io.Writer, srcDir string, o BuildOptions) error {
	zw, err := zstd.NewWriter(w, zstd.WithEncoderConcurrency(1))
	if err != nil {
		return fmt.Errorf("zstd writer: %w", err)
	}
	tw := tar.NewWriter(zw)
	// WalkDir visits entries in lexical order, so the archive is sorted.
	err = filepath.WalkDir(srcDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(srcDir, p)
		if err != nil || rel == "." {
			return err
		}
		return addEntry(tw, p, filepath.ToSlash(rel), o)
	})
	if err != nil {
		zw.Close()
		return err
	}
	if err := tw.Close(); err != nil {
		zw.Close()
		return fmt.Errorf("finish tar: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("finish zstd: %w", err)
	}
	return nil
}

// addEntry writes one file system object at path p as tar entry name.
func addEntry(tw *tar.Writer, p, name string, o BuildOptions) error {
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	mode := fi.Mode()
	switch {
	case mode&fs.ModeSocket != 0:
		return nil
	case mode&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe|fs.ModeIrregular) != 0:
		return fmt.Errorf("%s: %v is not a regular file, directory or symlink", name, mode.Type())
	}
	link := ""
	if mode&fs.ModeSymlink != 0 {
		if link, err = os.Readlink(p); err != nil {
			return err
		}
	}
	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	hdr.Name = name
	if fi.IsDir() {
		hdr.Name += "/"
	}
	normalizeHeader(hdr, o)
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if !mode.IsRegular() {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.CopyN(tw, f, hdr.Size); err != nil {
		return fmt.Errorf("%s: %w (file changed while building?)", name, err)
	}
	return nil
}

// normalizeHeader strips the header of host-specific fields.
func normalizeHeader(hdr *tar.Header, o BuildOptions) {
	hdr.Uname, hdr.Gname = "", ""
	hdr.AccessTime, hdr.ChangeTime = time.Time{}, time.Time{}
	hdr.Format = tar.FormatPAX
	hdr.PAXRecords = nil
	if !o.KeepOwners {
		hdr.Uid, hdr.Gid = 0, 0
	}
	if o.KeepMtimes {
		hdr.ModTime = hdr.ModTime.Truncate(time.Second)
	} else {
		hdr.ModTime = time.Unix(0, 0)
	}
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// hashFile returns the sha256 hex and size of the file at path.
func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	var h hash.Hash = sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// writeFileAtomic writes b to path through a temporary file and rename.
func writeFileAtomic(path string, b []byte) error {
	return writeAtomic(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// writeAtomic creates a temporary file next to path, lets fill write it,
// syncs it and renames it to path; on failure nothing is left behind.
func writeAtomic(path string, fill func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = fill(f); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
