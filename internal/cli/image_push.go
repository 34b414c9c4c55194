package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/image"
	"github.com/wharf-project/wharf/internal/regclient"
)

// registryFlagUsage is the help of every image command's -registry flag.
const registryFlagUsage = "registry URL (default $" + envRegistry + " or http://127.0.0.1:9080)"

// tokenFlagUsage is the help of every image command's -token-file flag.
const tokenFlagUsage = "file holding the registry's bearer token (default $" + envRegistryToken + ")"

// imagePushFlags are the flags of `wharf image push` and `wharf image rm`.
type imagePushFlags struct {
	registry, tokenFile, dir string
}

// imagePushCommand returns `wharf image push`.
func (m *meta) imagePushCommand() *cobra.Command {
	var f imagePushFlags
	cmd := &cobra.Command{
		Use:   "push [-registry URL] [-token-file FILE] [-dir DIR] NAME TAG",
		Short: "Upload an image to a wharf registry",
		Long: `Verify image NAME:TAG in -dir (default ./images), then upload its files to
the registry with the bearer token of -token-file (or $WHARF_REGISTRY_TOKEN).

The archive goes first, then the manifest and the signature (when present),
and the digest file last, so a reader never sees a digest file before the
data it covers. Each upload carries its sha256 in X-Content-Sha256 and the
registry refuses a body that does not match.`,
		Example: `  wharf image push web 1.0
  WHARF_REGISTRY_TOKEN=s3cret wharf image push -registry http://registry:9080 -dir /tmp/img api 2.3`,
		Args: usageArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return exitWith(m.runPush(cmd.Context(), f, args[0], args[1]))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.registry, "registry", "", registryFlagUsage)
	fl.StringVar(&f.tokenFile, "token-file", "", tokenFlagUsage)
	fl.StringVar(&f.dir, "dir", defaultImageDir, "directory holding the image files")
	return cmd
}

// pushFile is one file to upload and its hex sha256.
type pushFile struct{ name, sum string }

// runPush verifies the image locally and uploads its files in order.
func (m *meta) runPush(ctx context.Context, f imagePushFlags, name, tag string) (int, error) {
	token, err := registryToken(f.tokenFile)
	if err != nil {
		return exitError, err
	}
	files, err := pushPlan(f.dir, name, tag)
	if err != nil {
		return exitError, err
	}
	hc, err := m.httpClient()
	if err != nil {
		return exitError, err
	}
	rc := regclient.New(registryURL(f.registry), hc, token)
	for _, pf := range files {
		if err := uploadFile(ctx, rc, filepath.Join(f.dir, pf.name), pf); err != nil {
			return exitError, err
		}
		fmt.Fprintf(m.out, "    uploaded %s\n", pf.name)
	}
	fmt.Fprintf(m.out, "==> Pushed image %s:%s to %s\n", name, tag, rc.Base())
	return exitOK, nil
}

// pushPlan verifies the image and returns its files in upload order with
// their digests: archive, manifest, signature (if any), digest file.
func pushPlan(dir, name, tag string) ([]pushFile, error) {
	if _, err := image.VerifyFilesFor(dir, name, tag, nil, manifestPlatform(dir, name, tag)); err != nil {
		return nil, fmt.Errorf("not pushing: %w", err)
	}
	names, _ := image.FileNames(name, tag)
	digestBytes, err := os.ReadFile(filepath.Join(dir, names.Digest))
	if err != nil {
		return nil, err
	}
	digests, err := image.ParseDigests(digestBytes)
	if err != nil {
		return nil, err
	}
	plan := []pushFile{{names.Rootfs, digests[names.Rootfs]}, {names.Manifest, digests[names.Manifest]}}
	sig, err := os.ReadFile(filepath.Join(dir, names.Sig))
	switch {
	case err == nil:
		plan = append(plan, pushFile{names.Sig, sha256Hex(sig)})
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	return append(plan, pushFile{names.Digest, sha256Hex(digestBytes)}), nil
}

// sha256Hex returns the lower-case hex sha256 of b.
func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// uploadFile uploads the file at path as pf.name.
func uploadFile(ctx context.Context, rc *regclient.Client, path string, pf pushFile) error {
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil {
		return err
	}
	return rc.Upload(ctx, pf.name, file, fi.Size(), pf.sum)
}

// imageRmCommand returns `wharf image rm`.
func (m *meta) imageRmCommand() *cobra.Command {
	var f imagePushFlags
	cmd := &cobra.Command{
		Use:   "rm [-registry URL] [-token-file FILE] NAME TAG",
		Short: "Delete an image from a wharf registry",
		Long: `Delete image NAME:TAG from the registry: the digest file first (so the
image stops looking complete at once), then the signature, the manifest
and the archive. A missing signature is not an error; any other missing
file is reported after the rest are deleted. Local files are not touched.`,
		Example: `  wharf image rm web 1.0
  wharf image rm -registry http://registry:9080 -token-file ./token api 2.3`,
		Args: usageArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return exitWith(m.runRm(cmd.Context(), f, args[0], args[1]))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.registry, "registry", "", registryFlagUsage)
	fl.StringVar(&f.tokenFile, "token-file", "", tokenFlagUsage)
	return cmd
}

// runRm deletes the image's files from the registry.
func (m *meta) runRm(ctx context.Context, f imagePushFlags, name, tag string) (int, error) {
	names, err := image.FileNames(name, tag)
	if err != nil {
		return exitError, err
	}
	token, err := registryToken(f.tokenFile)
	if err != nil {
		return exitError, err
	}
	hc, err := m.httpClient()
	if err != nil {
		return exitError, err
	}
	rc := regclient.New(registryURL(f.registry), hc, token)
	var errs []error
	for _, file := range []string{names.Digest, names.Sig, names.Manifest, names.Rootfs} {
		err := rc.Delete(ctx, file)
		if regclient.IsStatus(err, http.StatusUnauthorized) || regclient.IsStatus(err, http.StatusForbidden) {
			return exitError, err
		}
		if err != nil && !(regclient.IsStatus(err, http.StatusNotFound) && file == names.Sig) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return exitError, err
	}
	fmt.Fprintf(m.out, "==> Deleted image %s:%s from %s\n", name, tag, rc.Base())
	return exitOK, nil
}
