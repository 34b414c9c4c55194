package fetch

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/wharf-project/wharf/internal/image"
	"github.com/wharf-project/wharf/internal/regclient"
)

// DefaultProgressDeadline is how long a download may go without receiving
// a byte before it is abandoned when Config.ProgressDeadline is zero.
const DefaultProgressDeadline = 30 * time.Second

// Config configures a Cache.
type Config struct {
	// Dir is the cache root; it is created when missing.
	Dir string
	// HTTPClient does the requests; nil means a client without a total
	// timeout. A client with Timeout set would cut slow downloads, which
	// is exactly what the progress deadline exists to avoid.
	HTTPClient *http.Client
	// ProgressDeadline abandons a request that receives no bytes for this
	// long; zero means DefaultProgressDeadline.
	ProgressDeadline time.Duration
	// TrustedKeys, when set, require every image to carry a signature by
	// one of them.
	TrustedKeys []ed25519.PublicKey
	// Logger receives debug and info messages; nil discards them.
	Logger *slog.Logger
	// MaxUnpackedBytes caps the files of one image's rootfs
	// (image.DefaultMaxBytes when zero); an image beyond it fails with
	// image.ErrTooLarge.
	MaxUnpackedBytes int64
}

// Progress reports a running download. Bytes counts bytes of File present
// on disk (including a resumed part), Total is the full size or -1 when
// unknown, and Rate is bytes per second over roughly the last second.
type Progress struct {
	File  string
	Bytes int64
	Total int64
	Rate  float64
	// Done is set on the final report of a completed file.
	Done bool
}

// Cache downloads, verifies and unpacks images into a directory shared by
// all deployments on a node. It is safe for concurrent use.
type Cache struct {
	dir      string
	client   *http.Client
	deadline time.Duration
	keys     []ed25519.PublicKey
	log      *slog.Logger
	unpacked int64

	mu      sync.Mutex
	flights map[string]*flight
}

// flight is one in-progress Get shared by concurrent callers.
type flight struct {
	done    chan struct{}
	waiters int // callers waiting for the leader; guarded by Cache.mu
	dir     string
	m       *image.Manifest
	err     error
}

// NewCache creates the cache directories under cfg.Dir and returns a Cache.
func NewCache(cfg Config) (*Cache, error) {
	if cfg.Dir == "" {
		return nil, errors.New("image cache: dir is empty")
	}
	c := &Cache{
		dir:      cfg.Dir,
		client:   cfg.HTTPClient,
		deadline: cfg.ProgressDeadline,
		keys:     cfg.TrustedKeys,
		log:      cfg.Logger,
		unpacked: cfg.MaxUnpackedBytes,
		flights:  map[string]*flight{},
	}
	if c.client == nil {
		c.client = &http.Client{}
	}
	if c.deadline <= 0 {
		c.deadline = DefaultProgressDeadline
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	for _, d := range []string{c.downloadsDir(), c.rootfsParent()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("image cache: %w", err)
		}
	}
	return c, nil
}

func (c *Cache) downloadsDir() string { return filepath.Join(c.dir, "downloads") }
func (c *Cache) rootfsParent() string { return filepath.Join(c.dir, "rootfs") }

// RootfsDir returns where image name:tag is (or would be) unpacked.
func (c *Cache) RootfsDir(name, tag string) string {
	return filepath.Join(c.rootfsParent(), image.Ref(name, tag))
}

// Get returns the unpacked rootfs directory and verified manifest of image
// name:tag, downloading it from baseURL (the registry's root URL) when the
// cache does not hold a verified copy. A cache hit makes no request.
//
// Concurrent calls for the same image share one download; only the first
// caller's progress function is called, and the others wait. If the first
// caller's context is cancelled, a waiter whose own context is still alive
// starts the download again (resuming the partial file). The returned
// manifest is shared and must not be modified. The rootfs directory is
// read-only by convention: deployments copy or mount it, never write it.
func (c *Cache) Get(ctx context.Context, baseURL, name, tag string, progress func(Progress)) (string, *image.Manifest, error) {
	if _, err := image.FileNames(name, tag); err != nil {
		return "", nil, err
	}
	ref := image.Ref(name, tag)
	for {
		f, leader := c.join(ref)
		if leader {
			f.dir, f.m, f.err = c.get(ctx, baseURL, name, tag, progress)
			c.leave(ref, f)
			return f.dir, f.m, f.err
		}
		select {
		case <-ctx.Done():
			return "", nil, fmt.Errorf("image %s: %w", ref, ctx.Err())
		case <-f.done:
		}
		if f.err != nil && errors.Is(f.err, context.Canceled) && ctx.Err() == nil {
			continue // the leader gave up, not the download: try ourselves
		}
		return f.dir, f.m, f.err
	}
}

// join returns the flight for ref, creating it (and making the caller its
// leader) when none runs.
func (c *Cache) join(ref string) (*flight, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.flights[ref]; ok {
		f.waiters++
		return f, false
	}
	f := &flight{done: make(chan struct{})}
	c.flights[ref] = f
	return f, true
}

func (c *Cache) leave(ref string, f *flight) {
	c.mu.Lock()
	delete(c.flights, ref)
	c.mu.Unlock()
	close(f.done)
}

// get is Get without the single flight.
func (c *Cache) get(ctx context.Context, baseURL, name, tag string, progress func(Progress)) (string, *image.Manifest, error) {
	rootfs := c.RootfsDir(name, tag)
	if m, ok := c.lookup(name, tag, rootfs); ok {
		return rootfs, m, nil
	}
	reg := regclient.New(baseURL, c.client, "")
	if err := c.download(ctx, reg, name, tag, progress); err != nil {
		return "", nil, err
	}
	m, err := c.verify(reg, name, tag)
	if err != nil {
		return "", nil, err
	}
	if err := image.UnpackWith(ctx, c.path(name, tag, image.ExtRootfs), rootfs, image.UnpackOptions{MaxBytes: c.unpacked}); err != nil {
		return "", nil, fmt.Errorf("image %s: %w", image.Ref(name, tag), err)
	}
	c.log.Info("image ready", "image", image.Ref(name, tag), "rootfs", rootfs)
	return rootfs, m, nil
}

// lookup reports a cache hit: the rootfs is unpacked and the downloaded
// files still verify. An unpacked rootfs whose files no longer verify is
// removed so that it is unpacked again from a fresh download.
func (c *Cache) lookup(name, tag, rootfs string) (*image.Manifest, bool) {
	if _, err := os.Stat(rootfs); err != nil {
		return nil, false
	}
	m, err := image.VerifyFiles(c.downloadsDir(), name, tag, c.keys)
	if err == nil {
		c.log.Debug("image cache hit", "image", image.Ref(name, tag))
		return m, true
	}
	c.log.Warn("cached image no longer verifies, fetching again", "image", image.Ref(name, tag), "err", err)
	if err := os.RemoveAll(rootfs); err != nil {
		c.log.Warn("remove stale rootfs", "dir", rootfs, "err", err)
	}
	return nil, false
}

// verify checks the downloaded files; on failure it deletes them so that a
// retry downloads them again.
func (c *Cache) verify(reg *regclient.Client, name, tag string) (*image.Manifest, error) {
	m, err := image.VerifyFiles(c.downloadsDir(), name, tag, c.keys)
	if err == nil {
		return m, nil
	}
	c.removeDownloads(name, tag)
	return nil, fmt.Errorf("fetch %s: %w", fileURL(reg, name, tag, image.ExtRootfs), err)
}

// removeDownloads deletes every downloaded file of name:tag.
func (c *Cache) removeDownloads(name, tag string) {
	for _, ext := range []string{image.ExtRootfs, image.ExtRootfs + partSuffix, image.ExtManifest, image.ExtDigest, image.ExtSig} {
		p := c.path(name, tag, ext)
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			c.log.Warn("remove download", "file", p, "err", err)
		}
	}
}

// path returns the downloads path of name:tag's file with extension ext.
func (c *Cache) path(name, tag, ext string) string {
	return filepath.Join(c.downloadsDir(), image.Ref(name, tag)+ext)
}

// fileName returns the registry file name of name:tag's file with
// extension ext.
func fileName(name, tag, ext string) string { return image.Ref(name, tag) + ext }

// fileURL returns the URL of name:tag's file with extension ext.
func fileURL(reg *regclient.Client, name, tag, ext string) string {
	return reg.FileURL(fileName(name, tag, ext))
}
