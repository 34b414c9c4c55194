package cli

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/image"
)

// imageKeygenCommand returns `wharf image keygen`.
func (m *meta) imageKeygenCommand() *cobra.Command {
	var out string
	var force bool
	cmd := &cobra.Command{
		Use:   "keygen -out PREFIX",
		Short: "Create an ed25519 key pair for signing images",
		Long: `Create an ed25519 key pair: PREFIX.key (the private key, PEM, mode 0600)
and PREFIX.pub (the public key, PEM). Give PREFIX.key to "wharf image sign"
and append PREFIX.pub to the trust file clients verify images with.

Existing files are never overwritten unless -force is given.`,
		Example: `  wharf image keygen -out ./signing
  cat ./signing.pub >> /usr/local/etc/wharf/trusted.pub`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			if out == "" {
				return &usageError{errors.New("-out is required")}
			}
			return exitWith(m.runKeygen(out, force))
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "path prefix of the key files (required)")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite existing key files")
	return cmd
}

// runKeygen writes a fresh key pair to prefix.key and prefix.pub.
func (m *meta) runKeygen(prefix string, force bool) (int, error) {
	keyPath, pubPath := prefix+".key", prefix+".pub"
	if !force {
		for _, p := range []string{keyPath, pubPath} {
			if _, err := os.Lstat(p); err == nil {
				return exitError, fmt.Errorf("%s exists; use -force to overwrite it", p)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return exitError, err
			}
		}
	}
	pub, priv, err := image.GenerateKey()
	if err != nil {
		return exitError, err
	}
	if dir := filepath.Dir(prefix); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return exitError, fmt.Errorf("create key directory: %w", err)
		}
	}
	// Remove first so an existing file's looser mode is not kept.
	_ = os.Remove(keyPath)
	if err := image.WritePrivateKeyFile(keyPath, priv); err != nil {
		return exitError, fmt.Errorf("write private key: %w", err)
	}
	if err := os.WriteFile(pubPath, image.MarshalPublicKey(pub), 0o644); err != nil {
		return exitError, fmt.Errorf("write public key: %w", err)
	}
	fmt.Fprintf(m.out, "==> Wrote private key %s and public key %s\n", keyPath, pubPath)
	return exitOK, nil
}

// imageSignCommand returns `wharf image sign`.
func (m *meta) imageSignCommand() *cobra.Command {
	var key, dir string
	cmd := &cobra.Command{
		Use:   "sign -key FILE [-dir DIR] NAME TAG",
		Short: "Sign an image's digest file",
		Long: `Sign the digest file (<name>_<tag>.sha256) of image NAME:TAG in -dir
(default ./images) with the ed25519 private key in -key, writing
<name>_<tag>.sig. The image is verified first, so a broken image is never
signed.`,
		Example: `  wharf image sign -key ./signing.key web 1.0
  wharf image sign -key ./signing.key -dir /var/db/wharf/images api 2.3`,
		Args: usageArgs(cobra.ExactArgs(2)),
		RunE: func(_ *cobra.Command, args []string) error {
			if key == "" {
				return &usageError{errors.New("-key is required")}
			}
			return exitWith(m.runSign(key, dir, args[0], args[1]))
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "private key file written by `wharf image keygen` (required)")
	cmd.Flags().StringVar(&dir, "dir", defaultImageDir, "directory holding the image files")
	return cmd
}

// runSign checks the image's integrity, then signs it.
func (m *meta) runSign(keyPath, dir, name, tag string) (int, error) {
	priv, err := image.ReadPrivateKeyFile(keyPath)
	if err != nil {
		return exitError, fmt.Errorf("read private key: %w", err)
	}
	if _, err := image.VerifyFilesFor(dir, name, tag, nil, manifestPlatform(dir, name, tag)); err != nil {
		return exitError, err
	}
	if err := image.SignFiles(dir, name, tag, priv); err != nil {
		return exitError, err
	}
	names, _ := image.FileNames(name, tag)
	fmt.Fprintf(m.out, "==> Signed image %s:%s: %s\n", name, tag, filepath.Join(dir, names.Sig))
	return exitOK, nil
}

// imageVerifyCommand returns `wharf image verify`.
func (m *meta) imageVerifyCommand() *cobra.Command {
	var trust, dir string
	cmd := &cobra.Command{
		Use:   "verify [-trust FILE] [-dir DIR] NAME TAG",
		Short: "Check an image's digests and signature",
		Long: `Check image NAME:TAG in -dir (default ./images): the sha256 of the archive
and of the manifest must match the digest file, and the manifest must name
the image and match the archive's digest and size.

With -trust (a file of PEM public keys), the image must also carry a
signature by one of those keys; an unsigned image fails. Exits 1 on any
failure.`,
		Example: `  wharf image verify web 1.0
  wharf image verify -trust /usr/local/etc/wharf/trusted.pub -dir /var/db/wharf/images web 1.0`,
		Args: usageArgs(cobra.ExactArgs(2)),
		RunE: func(_ *cobra.Command, args []string) error {
			return exitWith(m.runVerify(trust, dir, args[0], args[1]))
		},
	}
	cmd.Flags().StringVar(&trust, "trust", "", "file of trusted public keys; requires a valid signature")
	cmd.Flags().StringVar(&dir, "dir", defaultImageDir, "directory holding the image files")
	return cmd
}

// runVerify verifies the image and prints what was checked.
func (m *meta) runVerify(trust, dir, name, tag string) (int, error) {
	var keys []ed25519.PublicKey
	if trust != "" {
		k, err := image.ReadPublicKeysFile(trust)
		if err != nil {
			return exitError, fmt.Errorf("read trust file: %w", err)
		}
		keys = k
	}
	man, err := image.VerifyFilesFor(dir, name, tag, keys, manifestPlatform(dir, name, tag))
	if err != nil {
		return exitError, err
	}
	sig := "not checked (no -trust)"
	if trust != "" {
		sig = "valid, by a key of " + trust
	}
	fmt.Fprintf(m.out, "==> Image %s:%s verified\n", name, tag)
	fmt.Fprint(m.out, formatKV([]kv{
		{"Platform", man.OS + "/" + man.Arch},
		{"Digest", man.RootfsDigest},
		{"Signature", sig},
	}))
	return exitOK, nil
}

// manifestPlatform reads the (not yet verified) manifest of an image for
// its platform, so images for other machines verify too; on any error it
// returns the host's and leaves reporting the problem to verification.
func manifestPlatform(dir, name, tag string) image.Platform {
	names, err := image.FileNames(name, tag)
	if err != nil {
		return image.HostPlatform()
	}
	b, err := os.ReadFile(filepath.Join(dir, names.Manifest))
	if err != nil {
		return image.HostPlatform()
	}
	man, err := image.ParseManifest(b)
	if err != nil {
		return image.HostPlatform()
	}
	return image.Platform{OS: man.OS, Arch: man.Arch}
}
