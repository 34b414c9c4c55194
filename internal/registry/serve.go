package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"
)

// cacheControl lets caches keep files but makes them revalidate (tags such
// as "latest" can be uploaded again); the ETag makes that revalidation cheap.
const cacheControl = "public, no-cache"

// File is one served file of the directory.
type File struct {
	Name     string    `json:"name"`
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified"`
}

// Image groups the files of one `<name>_<tag>` image.
type Image struct {
	Name string `json:"name"`
	Tag  string `json:"tag"`
	// Files maps each present kind (tar.zst, json, sha256, sig) to its size.
	Files map[string]int64 `json:"files"`
	// Complete is true when the archive, its manifest and its digest
	// (tar.zst, json, sha256) are all present; the signature is optional.
	Complete bool `json:"complete"`
	// Signed is true when the .sig file is present.
	Signed bool `json:"signed"`
	// Modified is the newest modification time of the image's files.
	Modified time.Time `json:"modified"`
}

// etag is the strong entity tag of a file version: its size and
// modification time (uploads always create a new file by rename).
func etag(fi fs.FileInfo) string {
	return fmt.Sprintf(`"%x-%x"`, fi.Size(), fi.ModTime().UnixNano())
}

// serveFile answers GET and HEAD of one file, with ranges and
// conditional requests.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, name string) {
	f, err := s.root.Open(name)
	if err != nil {
		s.notFoundOr500(w, name, err)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		s.notFoundOr500(w, name, err)
		return
	}
	if !fi.Mode().IsRegular() {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType(name))
	h.Set("ETag", etag(fi))
	h.Set("Cache-Control", cacheControl)
	http.ServeContent(w, r, name, fi.ModTime(), f)
}

// notFoundOr500 answers a failure to open name: 404 when it does not
// exist or is a symlink leading out of the directory, else 500.
func (s *Server) notFoundOr500(w http.ResponseWriter, name string, err error) {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) || s.isSymlink(name) {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	s.log.Error("registry: serve file", "err", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
}

func (s *Server) isSymlink(name string) bool {
	fi, err := s.root.Lstat(name)
	return err == nil && fi.Mode()&fs.ModeSymlink != 0
}

// Files returns the served files of the directory (no dotfiles, no
// directories), sorted by name.
func (s *Server) Files() ([]File, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("registry: list directory: %w", err)
	}
	var files []File
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		fi, err := s.root.Stat(e.Name())
		if err != nil || !fi.Mode().IsRegular() {
			continue // vanished, dangling or escaping symlink, directory
		}
		files = append(files, File{Name: e.Name(), Size: fi.Size(), Modified: fi.ModTime().UTC()})
	}
	return files, nil
}

// Images groups the directory's image files by `<name>_<tag>`, sorted by
// name then tag. Files whose names are not image file names are left out.
func (s *Server) Images() ([]Image, error) {
	files, err := s.Files()
	if err != nil {
		return nil, err
	}
	byKey := map[string]*Image{}
	for _, f := range files {
		name, tag, kind, ok := splitImage(f.Name)
		if !ok {
			continue
		}
		img := byKey[name+"_"+tag]
		if img == nil {
			img = &Image{Name: name, Tag: tag, Files: map[string]int64{}}
			byKey[name+"_"+tag] = img
		}
		img.Files[kind] = f.Size
		if f.Modified.After(img.Modified) {
			img.Modified = f.Modified
		}
	}
	images := make([]Image, 0, len(byKey))
	for _, img := range byKey {
		_, a := img.Files["tar.zst"]
		_, j := img.Files["json"]
		_, d := img.Files["sha256"]
		_, img.Signed = img.Files["sig"]
		img.Complete = a && j && d
		images = append(images, *img)
	}
	sort.Slice(images, func(i, j int) bool {
		if images[i].Name != images[j].Name {
			return images[i].Name < images[j].Name
		}
		return images[i].Tag < images[j].Tag
	})
	return images, nil
}

// serveImages answers GET /v1/images with the JSON list of images.
func (s *Server) serveImages(w http.ResponseWriter, r *http.Request) {
	images, err := s.Images()
	if err != nil {
		s.log.Error("registry: list images", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if r.Method == http.MethodHead {
		return
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(images)
}

// serveIndex answers GET / with a small HTML directory listing.
func (s *Server) serveIndex(w http.ResponseWriter, r *http.Request) {
	files, err := s.Files()
	if err != nil {
		s.log.Error("registry: list files", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if r.Method == http.MethodHead {
		return
	}
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><head><title>wharf registry</title></head><body>\n<h1>wharf registry</h1>\n<pre>\n")
	for _, f := range files {
		fmt.Fprintf(&b, "<a href=\"%s\">%s</a>  %d  %s\n", html.EscapeString(url.PathEscape(f.Name)),
			html.EscapeString(f.Name), f.Size, f.Modified.Format(time.RFC3339))
	}
	b.WriteString("</pre>\n<p><a href=\"/v1/images\">/v1/images</a> (JSON)</p>\n</body></html>\n")
	_, _ = w.Write([]byte(b.String()))
}
