package cli

import (
	"context"
	"errors"
	"fmt"
	neturl "net/url"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/image"
	"github.com/wharf-project/wharf/internal/image/flavour"
)

// imageBuildFlags are the flags of `wharf image build`.
type imageBuildFlags struct {
	name, tag, cmd string
	env            []string
	ports          []int
	os, arch, out  string
	// Flavour builds: base image, script and jail settings.
	from, fromDir, script, cacheDir, trust string
	memoryMB                               int64
	platformSet                            bool
}

// imageBuildCommand returns `wharf image build`.
func (m *meta) imageBuildCommand() *cobra.Command {
	var f imageBuildFlags
	cmd := &cobra.Command{
		Use:   "build -name NAME -tag TAG [options] (SRC_DIR | -from [URL/]BASE:TAG -script FILE)",
		Short: "Pack a root file system directory into an image, or flavour a base image",
		Long: `Pack SRC_DIR (a jail's root file system) into the image NAME:TAG in -out
(default ./images): <name>_<tag>.tar.zst, .json and .sha256. The archive is
reproducible: entries are sorted, owned by root and dated at the epoch.

-cmd is split into words like a shell would (quotes and backslashes; no
variables or globs). -env (KEY=VALUE) and -port may be repeated. -os and
-arch default to this machine's. The manifest's creation time is now, or
$SOURCE_DATE_EPOCH when set.

With -from instead of SRC_DIR, build a flavour of a base image, as pot's
flavours do: the base image BASE:TAG is downloaded from the registry URL
given in front of it (default $WHARF_REGISTRY or http://127.0.0.1:9080), or
read from the files in -from-dir, and verified (with -trust, its signature
too); its root file system is copied into a temporary directory where the
-script FILE runs with /bin/sh as root inside a jail (runc, the pot
driver's hardened settings, the host's network so package managers can
download, -memory MB of memory). The script's output is shown as it runs;
if it exits non-zero the build fails with its exit status and last lines.
Then the script is removed and the result is packed like SRC_DIR would be.
The new image keeps the base image's os, arch, command, environment and
ports: -cmd replaces the command, -env entries replace variables of the
same name and -port adds ports; the script runs with that environment.
Needs root and Debian's runc package. Ctrl-C stops the jail and removes
everything the build made.

Prints the paths of the three files and the digest of the archive.`,
		Example: `  wharf image build -name web -tag 1.0 -cmd "nginx -g 'daemon off;'" -port 80 ./rootfs
  wharf image build -name api -tag 2.3 -env PORT=8080 -env MODE=prod -os freebsd -arch amd64 -out /tmp/img ./api-root
  wharf image build -name web -tag 1.1 -from http://registry:9080/hello-web:1.0 -script ./add-page.sh
  wharf image build -name web -tag 1.1 -from hello-web:1.0 -from-dir ./images -script ./add-page.sh -env MODE=prod`,
		Args: usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.platformSet = cmd.Flags().Changed("os") || cmd.Flags().Changed("arch")
			if f.from == "" {
				if f.script != "" || f.fromDir != "" || f.cacheDir != "" || f.trust != "" {
					return &usageError{errors.New("-script, -from-dir, -cache-dir and -trust need -from")}
				}
				if len(args) != 1 {
					return &usageError{errors.New("give SRC_DIR, or -from and -script")}
				}
				return m.runImageBuild(f, args[0])
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return m.runFlavourBuild(ctx, f, args)
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
	fl.StringVar(&f.from, "from", "", "base image [URL/]NAME:TAG to flavour (instead of SRC_DIR)")
	fl.StringVar(&f.fromDir, "from-dir", "", "read the -from image's files from this directory instead of a registry")
	fl.StringVar(&f.script, "script", "", "shell script to run in the base image (with -from)")
	fl.StringVar(&f.cacheDir, "cache-dir", "", "keep downloaded base images in this cache (default: a temporary one)")
	fl.StringVar(&f.trust, "trust", "", "file of trusted public keys; the base image must be signed by one")
	fl.Int64Var(&f.memoryMB, "memory", flavour.DefaultMemoryMB, "memory limit of the script's jail in MB")
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
	m.printBuilt(b)
	return nil
}

// printBuilt prints the files and digest of a built image.
func (m *meta) printBuilt(b *image.Built) {
	fmt.Fprintf(m.out, "==> Built image %s:%s (%s/%s)\n", b.Manifest.Name, b.Manifest.Tag, b.Manifest.OS, b.Manifest.Arch)
	fmt.Fprint(m.out, formatKV([]kv{
		{"Rootfs", b.RootfsPath},
		{"Manifest", b.ManifestPath},
		{"Digest file", b.DigestPath},
		{"Digest", b.RootfsDigest},
		{"Size", strconv.FormatInt(b.Manifest.Size, 10)},
	}))
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

// runFlavourBuild builds image -name:-tag from the -from base image and
// the -script run in a jail.
func (m *meta) runFlavourBuild(ctx context.Context, f imageBuildFlags, args []string) error {
	o, err := f.flavourOptions(args)
	if err != nil {
		return &usageError{err}
	}
	if o.Created, err = createdTime(m.now); err != nil {
		return exitWith(exitError, err)
	}
	if o.Base.TrustedKeys, err = trustedKeys(f.trust); err != nil {
		return exitWith(exitError, err)
	}
	src := o.Base.URL
	if src == "" {
		src = o.Base.Dir
	}
	fmt.Fprintf(m.out, "==> Building %s:%s from %s:%s (%s) with %s\n", o.Name, o.Tag, o.Base.Name, o.Base.Tag, src, o.Script)
	o.Stdout, o.Stderr, o.Progress = m.out, m.errOut, progressLine(m.errOut)
	b, err := flavour.Run(ctx, o)
	if err != nil {
		return exitWith(exitError, err)
	}
	m.printBuilt(b)
	return nil
}

// flavourOptions checks the flags of a flavour build and turns them into
// flavour options (without the creation time and trusted keys).
func (f imageBuildFlags) flavourOptions(args []string) (flavour.Options, error) {
	switch {
	case len(args) != 0:
		return flavour.Options{}, errors.New("give either SRC_DIR or -from, not both")
	case f.script == "":
		return flavour.Options{}, errors.New("-from needs -script")
	case f.platformSet:
		return flavour.Options{}, errors.New("-os and -arch do not apply with -from: the image takes the base image's platform")
	}
	man, err := f.manifest()
	if err != nil {
		return flavour.Options{}, err
	}
	base, err := parseFrom(f.from, f.fromDir)
	if err != nil {
		return flavour.Options{}, err
	}
	base.CacheDir = f.cacheDir
	return flavour.Options{Name: man.Name, Tag: man.Tag, Base: base, Script: f.script,
		Cmd: man.Cmd, Env: man.Env, Ports: man.ExposedPorts, OutDir: f.out, MemoryMB: f.memoryMB}, nil
}

// parseFrom splits -from "[URL/]NAME:TAG": the URL defaults to the
// registry of $WHARF_REGISTRY unless dir (-from-dir) holds the files.
func parseFrom(from, dir string) (flavour.Base, error) {
	url, ref := "", from
	if i := strings.LastIndex(from, "/"); i >= 0 {
		url, ref = from[:i], from[i+1:]
	}
	if url != "" {
		if u, err := neturl.Parse(url); err != nil || u.Scheme == "" || u.Host == "" {
			return flavour.Base{}, fmt.Errorf("-from %q: want [URL/]NAME:TAG, URL as http://host:port", from)
		}
	}
	name, tag, ok := strings.Cut(ref, ":")
	if !ok {
		return flavour.Base{}, fmt.Errorf("-from %q: want [URL/]NAME:TAG", from)
	}
	if _, err := image.FileNames(name, tag); err != nil {
		return flavour.Base{}, fmt.Errorf("-from %q: %w", from, err)
	}
	b := flavour.Base{Name: name, Tag: tag}
	switch {
	case dir != "" && url != "":
		return flavour.Base{}, fmt.Errorf("-from %q names a registry but -from-dir gives a directory: use NAME:TAG with -from-dir", from)
	case dir != "":
		b.Dir = dir
	default:
		b.URL = registryURL(url)
	}
	return b, nil
}
