package fetch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/wharf-project/wharf/internal/image"
	"github.com/wharf-project/wharf/internal/regclient"
)

// stagingPrefix names the directory DownloadFiles downloads into, inside
// the destination directory, so an interrupted pull resumes next time.
const stagingPrefix = ".wharf-pull-"

// DownloadFiles downloads image name:tag's files (tarball, manifest,
// digest file and, when the server has it, the signature) from baseURL
// into cfg.Dir without unpacking them, and returns the verified manifest.
// Images for any platform are accepted (the caller can check the
// manifest's OS and Arch), since nothing is unpacked or run here.
//
// Downloads, resumes, retries, the progress deadline and verification
// (digest, and a signature by cfg.TrustedKeys when set) work as in
// Cache.Get. The files are staged in cfg.Dir/.wharf-pull-<name>_<tag>/ and
// only moved next to it once they verify, the digest file last; a pull
// that breaks off during the tarball leaves the staging directory so the
// next one resumes it; otherwise nothing of a failed pull is left.
// Files of an earlier copy of the image in cfg.Dir are replaced.
func DownloadFiles(ctx context.Context, cfg Config, baseURL, name, tag string, progress func(Progress)) (*image.Manifest, error) {
	names, err := image.FileNames(name, tag)
	if err != nil {
		return nil, err
	}
	if cfg.Dir == "" {
		return nil, errors.New("download image files: dir is empty")
	}
	dest := cfg.Dir
	cfg.Dir = filepath.Join(dest, stagingPrefix+image.Ref(name, tag))
	c, err := NewCache(cfg)
	if err != nil {
		return nil, err
	}
	reg := regclient.New(baseURL, c.client, "")
	if err := c.download(ctx, reg, name, tag, progress); err != nil {
		if fileSize(c.path(name, tag, image.ExtRootfs+partSuffix)) == 0 {
			os.RemoveAll(cfg.Dir) // no partial tarball to resume
		}
		return nil, err
	}
	m, err := c.verifyAnyPlatform(reg, name, tag)
	if err != nil {
		os.RemoveAll(cfg.Dir) // nothing worth resuming
		return nil, err
	}
	hasSig, err := c.optionalSig(ctx, reg, name, tag)
	if err != nil {
		return nil, err
	}
	if err := c.moveFiles(names, dest, hasSig); err != nil {
		return nil, fmt.Errorf("image %s: %w", image.Ref(name, tag), err)
	}
	if err := os.RemoveAll(cfg.Dir); err != nil {
		c.log.Warn("remove staging directory", "dir", cfg.Dir, "err", err)
	}
	return m, nil
}

// verifyAnyPlatform is Cache.verify for the platform the downloaded
// manifest names; on failure it deletes the downloads.
func (c *Cache) verifyAnyPlatform(reg *regclient.Client, name, tag string) (*image.Manifest, error) {
	plat := image.HostPlatform()
	if b, err := os.ReadFile(c.path(name, tag, image.ExtManifest)); err == nil {
		if m, err := image.ParseManifest(b); err == nil {
			plat = image.Platform{OS: m.OS, Arch: m.Arch}
		}
	}
	m, err := image.VerifyFilesFor(c.downloadsDir(), name, tag, c.keys, plat)
	if err == nil {
		return m, nil
	}
	c.removeDownloads(name, tag)
	return nil, fmt.Errorf("fetch %s: %w", fileURL(reg, name, tag, image.ExtRootfs), err)
}

// optionalSig reports whether the signature file is present, fetching it
// when no trusted keys required it already; a missing one is no error.
func (c *Cache) optionalSig(ctx context.Context, reg *regclient.Client, name, tag string) (bool, error) {
	if len(c.keys) > 0 {
		return true, nil
	}
	err := c.fetchSmall(ctx, reg, name, tag, image.ExtSig)
	if errors.Is(err, image.ErrNotSigned) {
		return false, nil
	}
	return err == nil, err
}

// moveFiles renames the verified files from the downloads directory into
// dest, the digest file last, and removes a stale signature of an earlier
// copy when this one has none.
func (c *Cache) moveFiles(names image.Files, dest string, hasSig bool) error {
	order := []string{names.Rootfs, names.Manifest}
	if hasSig {
		order = append(order, names.Sig)
	} else if err := os.Remove(filepath.Join(dest, names.Sig)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	order = append(order, names.Digest)
	for _, n := range order {
		if err := os.Rename(filepath.Join(c.downloadsDir(), n), filepath.Join(dest, n)); err != nil {
			return err
		}
	}
	return nil
}
