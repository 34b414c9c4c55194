package registry

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// authorized lets r write (upload, delete) or, when write is false, read
// a private registry: with one of the upload tokens as its bearer token,
// or when Authorize accepts it. Otherwise it answers 401 (no credential
// the registry could check) or 403 (refused, or writes disabled) and
// returns false.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request, write bool) bool {
	if s.uploadToken(r) {
		return true
	}
	if s.authz != nil {
		if err := s.authz(r, write); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return false
		}
		return true
	}
	if len(s.tokens) == 0 {
		if write {
			http.Error(w, "uploads are disabled: this registry has no upload tokens (start it with -token-file)", http.StatusForbidden)
		} else {
			http.Error(w, "reads are private and this registry has no tokens to check", http.StatusForbidden)
		}
		return false
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="wharf-registry"`)
	http.Error(w, "unauthorized: a valid \"Authorization: Bearer <token>\" header is required", http.StatusUnauthorized)
	return false
}

// uploadToken reports whether r's bearer token is one of the upload
// tokens, comparing digests in constant time.
func (s *Server) uploadToken(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || len(s.tokens) == 0 {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	match := 0
	for i := range s.tokens {
		match |= subtle.ConstantTimeCompare(sum[:], s.tokens[i][:])
	}
	return match == 1
}
