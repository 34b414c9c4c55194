package cli

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/image"
)

// imageBuildFlags are the flags of `wharf image build`.
type imageBuildFlags struct {
	name, tag, cmd string
	env            []string
	ports          []int
	os, arch, out  string
}

// imageBuildCommand returns `wharf image build`.
func (m *meta) imageBuildCommand() *cobra.Command {
	var f imageBuildFlags
	cmd := &cobra.Command{
		Use:   "build -name NAME -tag TAG [options] SRC_DIR",
		Short: "Pack a root file system directory into an image",
		Long: `Pack SRC_DIR (a jail's root file system) into the image NAME:TAG in -out
(default ./images): <name>_<tag>.tar.zst, .json and .sha256. The archive is
reproducible: entries are sorted, owned by root and dated at the epoch.

-cmd is split into words like a shell would (quotes and backslashes; no
variables or globs). -env (KEY=VALUE) and -port may be repeated. -os and
-arch default to this machine's. The manifest's creation time is now, or
$SOURCE_DATE_EPOCH when set.

Prints the paths of the three files and the digest of the archive.`,
		Example: `  wharf image build -name web -tag 1.0 -cmd "nginx -g 'daemon off;'" -port 80 ./rootfs
  wharf image build -name api -tag 2.3 -env PORT=8080 -env MODE=prod -os freebsd -arch amd64 -out /tmp/img ./api-root`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.runImageBuild(f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.name, "name", "", "image name (required)")
	fl.StringVar(&f.tag, "tag", "", "image tag (required)")
	fl.StringVar(&f.cmd, "cmd", "", "command the image runs, shell-quoted")
	fl.StringArrayVar(&f.env, "env", nil, "environment variable KEY=VALUE (repeatable)")
	fl.IntSliceVar(&f.ports, "port", nil, "exposed port (repeatable)")
	fl.StringVar(&f.os, "os", runtime.GOOS, "operating system the image runs on")
	fl.StringVar(&f.arch, "arch", runtime.GOARCH, "CPU architecture the image runs on")
	fl.StringVar(&f.out, "out", defaultImageDir, "directory to write the image files to")
	return cmd
}

// runImageBuild checks the flags, builds the image and prints its files.
func (m *meta) runImageBuild(f imageBuildFlags, src string) error {
	man, err := f.manifest()
	if err != nil {
		return &usageError{err}
	}
	if fi, err := os.Stat(src); err != nil || !fi.IsDir() {
		return exitWith(exitError, fmt.Errorf("source %s is not a directory", src))
	}
	man.Created, err = createdTime(m.now)
	if err != nil {
		return exitWith(exitError, err)
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return exitWith(exitError, fmt.Errorf("create output directory: %w", err))
	}
	b, err := image.Build(src, man, f.out)
	if err != nil {
		return exitWith(exitError, err)
	}
	fmt.Fprintf(m.out, "==> Built image %s:%s (%s/%s)\n", b.Manifest.Name, b.Manifest.Tag, b.Manifest.OS, b.Manifest.Arch)
	fmt.Fprint(m.out, formatKV([]kv{
		{"Rootfs", b.RootfsPath},
		{"Manifest", b.ManifestPath},
		{"Digest file", b.DigestPath},
		{"Digest", b.RootfsDigest},
		{"Size", strconv.FormatInt(b.Manifest.Size, 10)},
	}))
	return nil
}

// manifest turns the flags into an image manifest.
func (f imageBuildFlags) manifest() (image.Manifest, error) {
	if f.name == "" || f.tag == "" {
		return image.Manifest{}, errors.New("-name and -tag are required")
	}
	for _, e := range f.env {
		if k, _, ok := strings.Cut(e, "="); !ok || k == "" {
			return image.Manifest{}, fmt.Errorf("-env %q: want KEY=VALUE", e)
		}
	}
	var words []string
	if f.cmd != "" {
		var err error
		if words, err = splitCommand(f.cmd); err != nil {
			return image.Manifest{}, err
		}
	}
	m := image.Manifest{Name: f.name, Tag: f.tag, OS: f.os, Arch: f.arch,
		Cmd: words, Env: f.env, ExposedPorts: f.ports}
	return m, m.Validate()
}

// createdTime returns $SOURCE_DATE_EPOCH when set, else now, in UTC.
func createdTime(now func() time.Time) (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return now().UTC().Truncate(time.Second), nil
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: %w", s, err)
	}
	return time.Unix(sec, 0).UTC(), nil
}
