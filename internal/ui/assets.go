package ui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
)

// embedded holds the app. all: keeps files whose names start with a dot
// or underscore out of surprises; the tree is small.
//
//go:embed all:assets
var embedded embed.FS

// assetsPrefix is where index.html refers to assets; the handler rewrites
// it to the versioned prefix so browsers may cache them for good.
const assetsPrefix = "/ui/assets/"

// contentTypes maps the extensions the app uses to their types, so
// serving does not depend on the host's MIME tables.
var contentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".json":  "application/json",
	".map":   "application/json",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".woff2": "font/woff2",
	".txt":   "text/plain; charset=utf-8",
}

// compressible lists the types worth gzipping.
var compressible = map[string]bool{".html": true, ".js": true, ".mjs": true, ".css": true,
	".json": true, ".map": true, ".svg": true, ".txt": true}

// minGzipSize is the smallest body worth compressing.
const minGzipSize = 512

// asset is one embedded file with its validators and, once asked for, its
// gzipped body.
type asset struct {
	body  []byte
	ctype string
	etag  string

	gzOnce sync.Once
	gz     []byte
}

// gzipped returns the compressed body, computing it once; nil when the
// file is not worth compressing.
func (a *asset) gzipped() []byte {
	a.gzOnce.Do(func() {
		if len(a.body) < minGzipSize {
			return
		}
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		_, _ = zw.Write(a.body)
		_ = zw.Close()
		if b.Len() < len(a.body) {
			a.gz = b.Bytes()
		}
	})
	return a.gz
}

// assetSet is every embedded file by its path under assets/, the version
// that names them all, and index.html with its references versioned.
type assetSet struct {
	files   map[string]*asset
	version string
	index   *asset
}

// loadAssets reads the embedded tree. The version is a hash of every
// path and body, so any change gives new URLs.
func loadAssets(fsys fs.FS) (*assetSet, error) {
	set := &assetSet{files: map[string]*asset{}}
	var names []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		names = append(names, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	all := sha256.New()
	for _, name := range names {
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		set.files[name] = newAsset(name, body)
		all.Write([]byte(name))
		all.Write(body)
	}
	set.version = hex.EncodeToString(all.Sum(nil))[:12]
	if idx := set.files["index.html"]; idx != nil {
		body := bytes.ReplaceAll(idx.body, []byte(assetsPrefix), []byte(set.versionedPrefix()))
		set.index = newAsset("index.html", body)
	}
	return set, nil
}

func newAsset(name string, body []byte) *asset {
	sum := sha256.Sum256(body)
	ext := strings.ToLower(path.Ext(name))
	ctype := contentTypes[ext]
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	return &asset{body: body, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
}

// versionedPrefix is the URL prefix of immutable assets.
func (s *assetSet) versionedPrefix() string { return "/ui/v/" + s.version + "/" }

// compressibleName reports whether a file's type is worth gzipping.
func compressibleName(name string) bool { return compressible[strings.ToLower(path.Ext(name))] }
