// Package registry is wharf's image registry: a plain HTTP file server of
// the image files in one directory (with ranges and strong ETags), a
// listing of the images it holds, and authenticated, atomic uploads and
// deletes. Any static web server holding the same files is a registry too:
// clients only ever need GET (and Range GET) of `<name>_<tag>.<ext>` files.
//
// registry treats image files as opaque bytes. It must never import
// internal/server, internal/state, internal/scheduler, internal/client,
// internal/agent or internal/image.
package registry

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// DefaultPort is the port `wharf registry` and the agent's registry role
// listen on unless told otherwise.
const DefaultPort = 9080

// DefaultMaxUploadBytes is the upload size limit used when
// Config.MaxUploadBytes is zero or negative (8 GiB).
const DefaultMaxUploadBytes int64 = 8 << 30

// ImagesPath is the path of the JSON list of the images a registry holds.
const ImagesPath = "/v1/images"

// uploadDir is the hidden directory inside Config.Dir where uploads are
// written before being renamed into place; it is never served.
const uploadDir = ".upload"

// Config configures a Server.
type Config struct {
	// Dir is the directory holding the image files. It must exist.
	Dir string
	// Tokens are the bearer tokens allowed to upload and delete. With
	// none, uploads and deletes are refused with 403.
	Tokens []string
	// Authorize, when set, decides for a request that carries none of
	// Tokens: nil lets it write (upload, delete) or, with PrivateReads,
	// read; an error is the refusal's message (403). The agent sets it to
	// check the request's ACL token (registry policy "write" or "read").
	Authorize func(r *http.Request, write bool) error
	// PrivateReads makes reads (the index, the list and the files) need
	// an upload token or a token Authorize accepts for reading. Off, reads
	// are anonymous, as a plain web server of images.
	PrivateReads bool
	// MaxUploadBytes limits the size of one uploaded file (413 beyond);
	// zero or negative means DefaultMaxUploadBytes.
	MaxUploadBytes int64
	// Logger receives one line per upload, delete and server-side error;
	// nil discards them.
	Logger *slog.Logger
}

// Server serves one image directory over HTTP.
type Server struct {
	dir     string
	root    *os.Root
	tokens  [][sha256.Size]byte
	authz   func(r *http.Request, write bool) error
	private bool
	maxBody int64
	log     *slog.Logger
}

var _ http.Handler = (*Server)(nil)

// New checks cfg, prepares the hidden upload directory inside cfg.Dir
// (removing temp files a crash left behind) and returns a Server.
func New(cfg Config) (*Server, error) {
	if cfg.Dir == "" {
		return nil, errors.New("registry: no directory given")
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("registry: open directory: %w", err)
	}
	s := &Server{dir: dir, root: root, maxBody: cfg.MaxUploadBytes, log: cfg.Logger, authz: cfg.Authorize, private: cfg.PrivateReads}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxUploadBytes
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for _, t := range cfg.Tokens {
		if t = strings.TrimSpace(t); t != "" {
			s.tokens = append(s.tokens, sha256.Sum256([]byte(t)))
		}
	}
	if err := s.resetUploadDir(); err != nil {
		root.Close()
		return nil, err
	}
	return s, nil
}

// resetUploadDir creates the upload directory and empties it of leftovers.
func (s *Server) resetUploadDir() error {
	up := filepath.Join(s.dir, uploadDir)
	if err := os.MkdirAll(up, 0o700); err != nil {
		return fmt.Errorf("registry: create upload directory: %w", err)
	}
	entries, err := os.ReadDir(up)
	if err != nil {
		return fmt.Errorf("registry: read upload directory: %w", err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(up, e.Name())); err != nil {
			return fmt.Errorf("registry: remove stale upload: %w", err)
		}
	}
	return nil
}

// Close releases the directory handle. In-flight requests may fail.
func (s *Server) Close() error { return s.root.Close() }

// Dir returns the absolute directory the server serves.
func (s *Server) Dir() string { return s.dir }

// Handler returns the HTTP handler of the registry.
func (s *Server) Handler() http.Handler { return s }

// ServeHTTP routes: GET / (index), GET /v1/images (JSON list), and
// GET/HEAD/PUT/DELETE /<file>.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.private && (r.Method == http.MethodGet || r.Method == http.MethodHead) && !s.authorized(w, r, false) {
		return
	}
	switch r.URL.Path {
	case "/":
		if allow(w, r, http.MethodGet, http.MethodHead) {
			s.serveIndex(w, r)
		}
		return
	case ImagesPath:
		if allow(w, r, http.MethodGet, http.MethodHead) {
			s.serveImages(w, r)
		}
		return
	}
	name, ok := fileName(r.URL.Path)
	if !ok {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		s.serveFile(w, r, name)
	case http.MethodPut:
		s.upload(w, r, name)
	case http.MethodDelete:
		s.remove(w, r, name)
	default:
		w.Header().Set("Allow", "GET, HEAD, PUT, DELETE")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// allow answers 405 and returns false unless r's method is one of methods.
func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}
