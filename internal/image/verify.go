package image

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// Platform is an operating system and CPU architecture in Go's names.
type Platform struct {
	OS, Arch string
}

// HostPlatform returns the platform this binary runs on.
func HostPlatform() Platform { return Platform{OS: runtime.GOOS, Arch: runtime.GOARCH} }

// Verification errors, wrapped with details by VerifyFiles.
var (
	ErrDigestMismatch = errors.New("digest mismatch")
	ErrWrongPlatform  = errors.New("wrong platform")
)

// VerifyFiles checks image name:tag in dir for this host's platform. See
// VerifyFilesFor.
func VerifyFiles(dir, name, tag string, trusted []ed25519.PublicKey) (*Manifest, error) {
	return VerifyFilesFor(dir, name, tag, trusted, HostPlatform())
}

// VerifyFilesFor checks image name:tag in dir before it is unpacked: when
// trusted keys are given the digest file must carry a signature by one of
// them (an unsigned image is refused); the sha256 of the tarball and of the
// manifest must match the digest file; the manifest must name this image
// and its digest and size must match the tarball; and its os/arch must be
// plat's. It returns the verified manifest.
func VerifyFilesFor(dir, name, tag string, trusted []ed25519.PublicKey, plat Platform) (*Manifest, error) {
	names, err := FileNames(name, tag)
	if err != nil {
		return nil, err
	}
	ref := Ref(name, tag)
	digestBytes, err := os.ReadFile(joinPath(dir, names.Digest))
	if err != nil {
		return nil, fmt.Errorf("image %s: read digest file: %w", ref, err)
	}
	if len(trusted) > 0 {
		if err := verifySigFile(joinPath(dir, names.Sig), digestBytes, trusted); err != nil {
			return nil, fmt.Errorf("image %s is %w", ref, err)
		}
	}
	digests, err := ParseDigests(digestBytes)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", ref, err)
	}
	m, err := verifyManifest(dir, names, digests)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", ref, err)
	}
	if m.Name != name || m.Tag != tag {
		return nil, fmt.Errorf("image %s: manifest names %s", ref, m.Ref())
	}
	if err := verifyRootfs(dir, names, digests, m); err != nil {
		return nil, fmt.Errorf("image %s: %w", ref, err)
	}
	if err := checkPlatform(m, plat); err != nil {
		return nil, fmt.Errorf("image %s %w", ref, err)
	}
	return m, nil
}

// verifySigFile returns nil when the .sig file signs digest by a trusted
// key; its errors read well after "image x_y is ".
func verifySigFile(path string, digest []byte, trusted []ed25519.PublicKey) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return ErrNotSigned
	}
	if err != nil {
		return fmt.Errorf("not verifiable: %w", err)
	}
	sig, err := DecodeSignature(b)
	if err != nil {
		if errors.Is(err, ErrNotSigned) {
			return err
		}
		return fmt.Errorf("signed with a bad signature file: %w", err)
	}
	if err := Verify(digest, sig, trusted); err != nil {
		return fmt.Errorf("signed but the %w", err)
	}
	return nil
}

func verifyManifest(dir string, names Files, digests Digests) (*Manifest, error) {
	want, ok := digests[names.Manifest]
	if !ok {
		return nil, fmt.Errorf("%w: digest file does not list %s", ErrBadDigestFile, names.Manifest)
	}
	b, err := os.ReadFile(joinPath(dir, names.Manifest))
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	if got := sha256Hex(b); got != want {
		return nil, fmt.Errorf("%s: %w: got sha256:%s, want sha256:%s", names.Manifest, ErrDigestMismatch, got, want)
	}
	m, err := ParseManifest(b)
	if err != nil {
		return nil, err
	}
	return m, m.Validate()
}

func verifyRootfs(dir string, names Files, digests Digests, m *Manifest) error {
	want, ok := digests[names.Rootfs]
	if !ok {
		return fmt.Errorf("%w: digest file does not list %s", ErrBadDigestFile, names.Rootfs)
	}
	if m.RootfsDigest != "sha256:"+want {
		return fmt.Errorf("%w: manifest rootfs_digest %s differs from digest file sha256:%s", ErrDigestMismatch, m.RootfsDigest, want)
	}
	got, size, err := hashFile(joinPath(dir, names.Rootfs))
	if err != nil {
		return err
	}
	if size != m.Size {
		return fmt.Errorf("%s: %w: %d bytes, manifest says %d (truncated download?)", names.Rootfs, ErrDigestMismatch, size, m.Size)
	}
	if got != want {
		return fmt.Errorf("%s: %w: got sha256:%s, want sha256:%s", names.Rootfs, ErrDigestMismatch, got, want)
	}
	return nil
}

// checkPlatform's errors read well after "image x_y ".
func checkPlatform(m *Manifest, plat Platform) error {
	if m.OS != plat.OS {
		return fmt.Errorf("is for %s, this node is %s: %w", m.OS, plat.OS, ErrWrongPlatform)
	}
	if m.Arch != plat.Arch {
		return fmt.Errorf("is for %s, this node is %s: %w", m.Arch, plat.Arch, ErrWrongPlatform)
	}
	return nil
}

func joinPath(dir, file string) string { return filepath.Join(dir, file) }
