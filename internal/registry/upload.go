package registry

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// DigestHeader is the optional upload header carrying the hex SHA-256 of
// the body; a mismatch rejects the upload before anything is visible.
const DigestHeader = "X-Content-Sha256"

// uploadError is an upload failure with the HTTP status to answer.
type uploadError struct {
	code int
	msg  string
}

func (e *uploadError) Error() string { return e.msg }

// upload answers PUT /<file>: the body goes to a temp file in the hidden
// upload directory, is checked (size, length, digest), synced and renamed
// into place, so a GET sees either the old file, no file or the new one.
func (s *Server) upload(w http.ResponseWriter, r *http.Request, name string) {
	if !s.authorized(w, r, true) {
		return
	}
	if !ValidName(name) {
		http.Error(w, "bad file name "+fmt.Sprintf("%q", name)+": "+NameRule, http.StatusBadRequest)
		return
	}
	if r.ContentLength > s.maxBody {
		http.Error(w, tooLarge(s.maxBody), http.StatusRequestEntityTooLarge)
		return
	}
	_, existed := s.root.Stat(name)
	size, sum, err := s.receive(w, r, name)
	if err != nil {
		var ue *uploadError
		if errors.As(err, &ue) {
			http.Error(w, ue.msg, ue.code)
			return
		}
		s.log.Error("registry: upload failed", "file", name, "err", err)
		http.Error(w, "upload failed", http.StatusInternalServerError)
		return
	}
	s.log.Info("registry: uploaded", "file", name, "bytes", size, "sha256", sum)
	if fi, err := s.root.Stat(name); err == nil {
		w.Header().Set("ETag", etag(fi))
	}
	w.Header().Set(DigestHeader, sum)
	if existed == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

// receive streams r's body into a temp file and renames it to name. It
// returns the size and hex SHA-256 of the file; the temp file is removed
// on every failure.
func (s *Server) receive(w http.ResponseWriter, r *http.Request, name string) (int64, string, error) {
	want := strings.ToLower(strings.TrimSpace(r.Header.Get(DigestHeader)))
	tmp, err := os.CreateTemp(filepath.Join(s.dir, uploadDir), "upload-*")
	if err != nil {
		return 0, "", fmt.Errorf("create temp file: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), http.MaxBytesReader(w, r.Body, s.maxBody))
	if err := checkBody(n, r.ContentLength, err, s.maxBody); err != nil {
		return 0, "", err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if err := checkDigest(want, sum); err != nil {
		return 0, "", err
	}
	if err := finish(tmp); err != nil {
		return 0, "", err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(s.dir, name)); err != nil {
		return 0, "", fmt.Errorf("rename into place: %w", err)
	}
	done = true
	syncDir(s.dir)
	return n, sum, nil
}

// checkBody maps a body copy's outcome to an upload error.
func checkBody(n, contentLength int64, err error, limit int64) error {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return &uploadError{http.StatusRequestEntityTooLarge, tooLarge(limit)}
	case err != nil:
		return &uploadError{http.StatusBadRequest, fmt.Sprintf("upload interrupted after %d bytes: %v", n, err)}
	case contentLength >= 0 && n != contentLength:
		return &uploadError{http.StatusBadRequest, fmt.Sprintf("truncated upload: got %d of %d bytes", n, contentLength)}
	}
	return nil
}

// checkDigest compares the wanted hex digest, when given, with the
// received one.
func checkDigest(want, got string) error {
	if want == "" || want == got {
		return nil
	}
	return &uploadError{http.StatusBadRequest, fmt.Sprintf("%s mismatch: header says %s, body is %s", DigestHeader, want, got)}
}

// finish makes a received temp file durable and readable by others.
func finish(tmp *os.File) error {
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("chmod temp file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync temp file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close temp file: %w", err)
	}
	return nil
}

// syncDir makes a rename in dir durable; failures are ignored (some file
// systems cannot sync directories).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// remove answers DELETE /<file>.
func (s *Server) remove(w http.ResponseWriter, r *http.Request, name string) {
	if !s.authorized(w, r, true) {
		return
	}
	if !ValidName(name) {
		http.Error(w, "bad file name "+fmt.Sprintf("%q", name)+": "+NameRule, http.StatusBadRequest)
		return
	}
	err := s.root.Remove(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		http.Error(w, "not found", http.StatusNotFound)
	case err != nil:
		s.log.Error("registry: delete failed", "file", name, "err", err)
		http.Error(w, "delete failed", http.StatusInternalServerError)
	default:
		syncDir(s.dir)
		s.log.Info("registry: deleted", "file", name)
		w.WriteHeader(http.StatusNoContent)
	}
}

// tooLarge is the 413 message for an upload over limit bytes.
func tooLarge(limit int64) string {
	return fmt.Sprintf("upload too large: the registry's limit is %d bytes (%.1f MiB); an operator raises it with limits.registry_max_upload",
		limit, float64(limit)/(1<<20))
}
