package netjail

import (
	"crypto/sha256"
	"encoding/hex"
)

// shortHash returns 12 hex digits of the SHA-256 of s.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}
