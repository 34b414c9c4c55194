package image

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// PEM block types of wharf's image signing keys. A private key block holds
// the 32-byte ed25519 seed, a public key block the 32-byte public key.
const (
	PEMPrivateKey = "WHARF IMAGE SIGNING KEY"
	PEMPublicKey  = "WHARF IMAGE PUBLIC KEY"
)

// Signature errors; VerifyFiles wraps them with the image reference, e.g.
// "image nginx_1.0 is not signed".
var (
	ErrNotSigned         = errors.New("not signed")
	ErrSignatureMismatch = errors.New("signature does not match any trusted key")
)

// GenerateKey returns a new ed25519 key pair for signing images.
func GenerateKey() (ed25519.PublicKey, ed25519.PrivateKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate ed25519 key: %w", err)
	}
	return pub, priv, nil
}

// MarshalPrivateKey encodes priv as a PEM block of type PEMPrivateKey.
func MarshalPrivateKey(priv ed25519.PrivateKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: PEMPrivateKey, Bytes: priv.Seed()})
}

// MarshalPublicKey encodes pub as a PEM block of type PEMPublicKey.
func MarshalPublicKey(pub ed25519.PublicKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: PEMPublicKey, Bytes: pub})
}

// ParsePrivateKey decodes the first PEMPrivateKey block of b.
func ParsePrivateKey(b []byte) (ed25519.PrivateKey, error) {
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return nil, fmt.Errorf("no %q PEM block found", PEMPrivateKey)
		}
		if blk.Type != PEMPrivateKey {
			continue
		}
		if len(blk.Bytes) != ed25519.SeedSize {
			return nil, fmt.Errorf("private key is %d bytes, want %d", len(blk.Bytes), ed25519.SeedSize)
		}
		return ed25519.NewKeyFromSeed(blk.Bytes), nil
	}
}

// ParsePublicKeys decodes every PEMPublicKey block of b, so one file can
// hold a whole trust list. Other block types are ignored; no key is an error.
func ParsePublicKeys(b []byte) ([]ed25519.PublicKey, error) {
	var keys []ed25519.PublicKey
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != PEMPublicKey {
			continue
		}
		if len(blk.Bytes) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("public key is %d bytes, want %d", len(blk.Bytes), ed25519.PublicKeySize)
		}
		keys = append(keys, ed25519.PublicKey(bytes.Clone(blk.Bytes)))
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("no %q PEM block found", PEMPublicKey)
	}
	return keys, nil
}

// ReadPrivateKeyFile reads a private key written by WritePrivateKeyFile.
func ReadPrivateKeyFile(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// WritePrivateKeyFile writes priv to path with mode 0600.
func WritePrivateKeyFile(path string, priv ed25519.PrivateKey) error {
	return os.WriteFile(path, MarshalPrivateKey(priv), 0o600)
}

// ReadPublicKeysFile reads every public key of a trust file.
func ReadPublicKeysFile(path string) ([]ed25519.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	keys, err := ParsePublicKeys(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return keys, nil
}

// Sign returns the ed25519 signature of the digest file bytes.
func Sign(digestFile []byte, priv ed25519.PrivateKey) []byte {
	return ed25519.Sign(priv, digestFile)
}

// EncodeSignature returns the .sig file content: base64 plus a newline.
func EncodeSignature(sig []byte) []byte {
	return []byte(base64.StdEncoding.EncodeToString(sig) + "\n")
}

// DecodeSignature parses .sig file content written by EncodeSignature.
func DecodeSignature(b []byte) ([]byte, error) {
	s := strings.TrimSpace(string(b))
	if s == "" {
		return nil, ErrNotSigned
	}
	sig, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("decode signature: %w", err)
	}
	if len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("signature is %d bytes, want %d", len(sig), ed25519.SignatureSize)
	}
	return sig, nil
}

// Verify checks that sig is a signature of digestFile by one of trusted.
// An empty sig gives ErrNotSigned, no matching key ErrSignatureMismatch.
func Verify(digestFile, sig []byte, trusted []ed25519.PublicKey) error {
	if len(sig) == 0 {
		return ErrNotSigned
	}
	for _, k := range trusted {
		if len(k) == ed25519.PublicKeySize && ed25519.Verify(k, digestFile, sig) {
			return nil
		}
	}
	return ErrSignatureMismatch
}

// SignFiles signs the digest file of image name:tag in dir and writes the
// .sig file next to it atomically.
func SignFiles(dir, name, tag string, priv ed25519.PrivateKey) error {
	names, err := FileNames(name, tag)
	if err != nil {
		return err
	}
	d, err := os.ReadFile(joinPath(dir, names.Digest))
	if err != nil {
		return fmt.Errorf("sign image %s: %w", Ref(name, tag), err)
	}
	return writeFileAtomic(joinPath(dir, names.Sig), EncodeSignature(Sign(d, priv)))
}
