package flavour

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/wharf-project/wharf/internal/image"
	"github.com/wharf-project/wharf/internal/image/fetch"
)

// prepareRootfs puts base image b's root file system at rootfs (which must
// not exist) and returns b's verified manifest. Local files are verified
// and unpacked there; a registry image goes through a fetch.Cache and its
// cached rootfs is copied.
func prepareRootfs(ctx context.Context, b Base, work, rootfs string, progress func(fetch.Progress)) (*image.Manifest, error) {
	if b.Dir != "" {
		return unpackLocal(ctx, b, rootfs)
	}
	cacheDir := b.CacheDir
	if cacheDir == "" {
		cacheDir = filepath.Join(work, "cache")
	}
	c, err := fetch.NewCache(fetch.Config{Dir: cacheDir, TrustedKeys: b.TrustedKeys})
	if err != nil {
		return nil, err
	}
	src, m, err := c.Get(ctx, b.URL, b.Name, b.Tag, progress)
	if err != nil {
		return nil, fmt.Errorf("base image: %w", err)
	}
	if err := CopyTree(ctx, src, rootfs); err != nil {
		return nil, fmt.Errorf("copy base image %s: %w", image.Ref(b.Name, b.Tag), err)
	}
	return m, nil
}

// unpackLocal verifies the base image's files in b.Dir and unpacks them.
func unpackLocal(ctx context.Context, b Base, rootfs string) (*image.Manifest, error) {
	m, err := image.VerifyFiles(b.Dir, b.Name, b.Tag, b.TrustedKeys)
	if err != nil {
		return nil, fmt.Errorf("base image: %w", err)
	}
	names, _ := image.FileNames(b.Name, b.Tag)
	if err := image.Unpack(ctx, filepath.Join(b.Dir, names.Rootfs), rootfs); err != nil {
		return nil, fmt.Errorf("base image: %w", err)
	}
	return m, nil
}
