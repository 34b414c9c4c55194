package flavour

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/wharf-project/wharf/internal/image"
	"github.com/wharf-project/wharf/internal/image/fetch"
)

// DefaultMemoryMB is the jail's memory limit when Options.MemoryMB is zero.
const DefaultMemoryMB = 2048

// Base names the image a flavour starts from and where its files are.
type Base struct {
	Name, Tag string
	// URL is the registry base URL to fetch the image from; empty means
	// the files are in Dir.
	URL string
	// CacheDir is the fetch.Cache directory for URL; empty means a
	// temporary one inside the work directory, removed afterwards.
	CacheDir string
	// Dir holds <name>_<tag>.tar.zst, .json and .sha256 (and .sig).
	Dir string
	// TrustedKeys, when set, require the base image to be signed by one.
	TrustedKeys []ed25519.PublicKey
}

// Options describe one flavour build.
type Options struct {
	// Name and Tag of the new image; Created is its manifest's time.
	Name, Tag string
	Created   time.Time
	Base      Base
	// Script is the host path of the shell script run with /bin/sh.
	Script string
	// Cmd replaces the base image's command when not nil.
	Cmd []string
	// Env entries (KEY=VALUE) override the base image's by key; the
	// script runs with the merged environment.
	Env []string
	// Ports are added to the base image's exposed ports.
	Ports []int
	// OutDir receives the new image's files; it is created when missing.
	OutDir string
	// TempDir is where the work directory is made; empty means
	// os.TempDir().
	TempDir string
	// Runc is the runc binary; empty means "runc" looked up in PATH.
	Runc string
	// MemoryMB limits the jail's memory (DefaultMemoryMB when zero).
	MemoryMB int64
	// Stdout and Stderr receive the script's output; nil discards it.
	Stdout, Stderr io.Writer
	// Progress receives base image download progress; may be nil.
	Progress func(fetch.Progress)
}

// ScriptError is a script that exited with a non-zero status.
type ScriptError struct {
	ExitCode int
	// Tail holds the last lines the script (and runc) wrote.
	Tail []string
}

func (e *ScriptError) Error() string {
	msg := fmt.Sprintf("flavour script exited with status %d", e.ExitCode)
	if len(e.Tail) == 0 {
		return msg + " and printed nothing"
	}
	return msg + "; last output:\n    " + strings.Join(e.Tail, "\n    ")
}

// ErrNoRunc is returned when the runc binary cannot be found.
var ErrNoRunc = errors.New("runc not found in PATH: install Debian's runc package (apt-get install runc)")

// Run builds the flavour image described by o: it gets the base image,
// copies its rootfs into a work directory, runs the script in a jail on
// it, removes the script and packs the result into o.OutDir. The work
// directory and the container are removed on success, failure and when
// ctx is cancelled.
func Run(ctx context.Context, o Options) (*image.Built, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	runc, err := findRunc(o.Runc)
	if err != nil {
		return nil, err
	}
	script, err := os.ReadFile(o.Script)
	if err != nil {
		return nil, fmt.Errorf("read flavour script: %w", err)
	}
	work, err := os.MkdirTemp(o.TempDir, "wharf-flavour-*")
	if err != nil {
		return nil, fmt.Errorf("create work directory: %w", err)
	}
	defer os.RemoveAll(work)
	rootfs := filepath.Join(work, "rootfs")
	base, err := prepareRootfs(ctx, o.Base, work, rootfs, o.Progress)
	if err != nil {
		return nil, err
	}
	m := o.manifest(base)
	j := &jail{runc: runc, work: work, rootfs: rootfs, env: m.Env, memoryMB: o.MemoryMB,
		stdout: o.Stdout, stderr: o.Stderr}
	if err := j.run(ctx, script); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("create output directory: %w", err)
	}
	return image.BuildWith(rootfs, m, o.OutDir, image.BuildOptions{KeepOwners: true})
}

// check validates the options that need no I/O and fills defaults.
func (o *Options) check() error {
	if err := image.ValidateName(o.Name); err != nil {
		return err
	}
	if err := image.ValidateTag(o.Tag); err != nil {
		return err
	}
	if _, err := image.FileNames(o.Base.Name, o.Base.Tag); err != nil {
		return fmt.Errorf("base %w", err)
	}
	if (o.Base.URL == "") == (o.Base.Dir == "") {
		return errors.New("base image: give exactly one of a registry URL and a directory")
	}
	if o.Script == "" || o.OutDir == "" {
		return errors.New("flavour: script and output directory are required")
	}
	for _, e := range o.Env {
		if k, _, ok := strings.Cut(e, "="); !ok || k == "" {
			return fmt.Errorf("env %q: want KEY=VALUE", e)
		}
	}
	if o.MemoryMB <= 0 {
		o.MemoryMB = DefaultMemoryMB
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	return nil
}

// manifest returns the new image's manifest: the base's platform, command,
// environment and ports with o's overrides.
func (o *Options) manifest(base *image.Manifest) image.Manifest {
	m := image.Manifest{Name: o.Name, Tag: o.Tag, OS: base.OS, Arch: base.Arch, Created: o.Created,
		Cmd: slices.Clone(base.Cmd), Env: MergeEnv(base.Env, o.Env),
		ExposedPorts: slices.Clone(base.ExposedPorts)}
	if o.Cmd != nil {
		m.Cmd = slices.Clone(o.Cmd)
	}
	for _, p := range o.Ports {
		if !slices.Contains(m.ExposedPorts, p) {
			m.ExposedPorts = append(m.ExposedPorts, p)
		}
	}
	return m
}

// MergeEnv returns base with each KEY=VALUE of over replacing the entry of
// the same key in place, or appended when base has none.
func MergeEnv(base, over []string) []string {
	out := slices.Clone(base)
	for _, e := range over {
		k, _, _ := strings.Cut(e, "=")
		i := slices.IndexFunc(out, func(b string) bool { return strings.HasPrefix(b, k+"=") })
		if i >= 0 {
			out[i] = e
		} else {
			out = append(out, e)
		}
	}
	return out
}
