package cli

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/image"
	"github.com/wharf-project/wharf/internal/image/fetch"
)

// imagePullFlags are the flags of `wharf image pull`.
type imagePullFlags struct {
	registry, dir, trust string
}

// imagePullCommand returns `wharf image pull`.
func (m *meta) imagePullCommand() *cobra.Command {
	var f imagePullFlags
	cmd := &cobra.Command{
		Use:   "pull [-registry URL] [-dir DIR] [-trust FILE] NAME TAG",
		Short: "Download an image's files from a registry",
		Long: `Download image NAME:TAG (<name>_<tag>.tar.zst, .json, .sha256 and, when the
server has it, .sig) from a wharf registry or any static file server into
-dir (default ./images), without unpacking it.

The files are verified before they are moved into -dir: the sha256 of the
archive and manifest must match the digest file, and with -trust (a file of
PEM public keys) the digest file must carry a signature by one of them.
Images for any OS and CPU are accepted. An interrupted download resumes on
the next pull (the part is kept in -dir/.wharf-pull-<name>_<tag>/), and a
download that receives nothing for 30 seconds is abandoned. Progress goes
to stderr.`,
		Example: `  wharf image pull nginx-nomad-amd64-13_1 1.1.13
  wharf image pull -registry https://images.example.org -trust /usr/local/etc/wharf/trusted.pub -dir /tmp/img web 1.0`,
		Args: usageArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return exitWith(m.runPull(ctx, f, args[0], args[1]))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.registry, "registry", "", registryFlagUsage)
	fl.StringVar(&f.dir, "dir", defaultImageDir, "directory to write the image files to")
	fl.StringVar(&f.trust, "trust", "", "file of trusted public keys; requires a valid signature")
	return cmd
}

// runPull downloads and verifies the image files and prints where they are.
func (m *meta) runPull(ctx context.Context, f imagePullFlags, name, tag string) (int, error) {
	names, err := image.FileNames(name, tag)
	if err != nil {
		return exitError, err
	}
	keys, err := trustedKeys(f.trust)
	if err != nil {
		return exitError, err
	}
	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		return exitError, fmt.Errorf("create image directory: %w", err)
	}
	base := registryURL(f.registry)
	hc, err := m.httpClient()
	if err != nil {
		return exitError, err
	}
	man, err := fetch.DownloadFiles(ctx, fetch.Config{Dir: f.dir, TrustedKeys: keys, HTTPClient: hc}, base, name, tag, progressLine(m.errOut))
	if err != nil {
		return exitError, err
	}
	sig := "not checked (no -trust)"
	if f.trust != "" {
		sig = "valid, by a key of " + f.trust
	}
	fmt.Fprintf(m.out, "==> Pulled image %s:%s (%s/%s) from %s\n", name, tag, man.OS, man.Arch, base)
	fmt.Fprint(m.out, formatKV([]kv{
		{"Rootfs", filepath.Join(f.dir, names.Rootfs)},
		{"Manifest", filepath.Join(f.dir, names.Manifest)},
		{"Digest file", filepath.Join(f.dir, names.Digest)},
		{"Digest", man.RootfsDigest},
		{"Signature", sig},
	}))
	return exitOK, nil
}

// trustedKeys reads a trust file, or returns no keys for an empty path.
func trustedKeys(path string) ([]ed25519.PublicKey, error) {
	if path == "" {
		return nil, nil
	}
	k, err := image.ReadPublicKeysFile(path)
	if err != nil {
		return nil, fmt.Errorf("read trust file: %w", err)
	}
	return k, nil
}

// progressLine returns a download progress callback that redraws one line
// on w ("\r" updates, padded to hide a longer earlier text) and ends it
// when a file is complete.
func progressLine(w io.Writer) func(fetch.Progress) {
	return func(p fetch.Progress) {
		if p.Done {
			fmt.Fprintf(w, "\r%-72s\n", fmt.Sprintf("    %s  %s downloaded", p.File, byteSize(p.Bytes)))
			return
		}
		total := "?"
		if p.Total >= 0 {
			total = byteSize(p.Total)
		}
		fmt.Fprintf(w, "\r%-72s", fmt.Sprintf("    %s  %s / %s  %s/s", p.File, byteSize(p.Bytes), total, byteSize(int64(p.Rate))))
	}
}

// byteSize prints a byte count with a binary unit and one decimal
// ("5.2 MiB").
func byteSize(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/1024, 0
	for v >= 1024 && i < 4 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTP"[i])
}
