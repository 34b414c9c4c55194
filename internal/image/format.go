package image

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// File name extensions of the parts of an image.
const (
	ExtRootfs   = ".tar.zst"
	ExtManifest = ".json"
	ExtDigest   = ".sha256"
	ExtSig      = ".sig"
)

// Manifest describes an image. Its JSON field names are lower snake case
// (name, tag, os, arch, created, cmd, env, exposed_ports, rootfs_digest,
// size). RootfsDigest is "sha256:<hex>" of the .tar.zst file and Size is the
// byte length of that file; Build fills both.
type Manifest struct {
	Name         string    `json:"name"`
	Tag          string    `json:"tag"`
	OS           string    `json:"os"`
	Arch         string    `json:"arch"`
	Created      time.Time `json:"created"`
	Cmd          []string  `json:"cmd,omitempty"`
	Env          []string  `json:"env,omitempty"`
	ExposedPorts []int     `json:"exposed_ports,omitempty"`
	RootfsDigest string    `json:"rootfs_digest"`
	Size         int64     `json:"size"`
}

// Ref returns "<name>_<tag>", the base of the image's file names.
func (m *Manifest) Ref() string { return Ref(m.Name, m.Tag) }

// Ref returns "<name>_<tag>", the base of an image's file names.
func Ref(name, tag string) string { return name + "_" + tag }

// Files are the file names (not paths) of one image's parts.
type Files struct {
	Rootfs, Manifest, Digest, Sig string
}

// FileNames returns the file names of image name:tag after validating both.
func FileNames(name, tag string) (Files, error) {
	if err := ValidateName(name); err != nil {
		return Files{}, err
	}
	if err := ValidateTag(tag); err != nil {
		return Files{}, err
	}
	base := Ref(name, tag)
	return Files{
		Rootfs:   base + ExtRootfs,
		Manifest: base + ExtManifest,
		Digest:   base + ExtDigest,
		Sig:      base + ExtSig,
	}, nil
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*$`)

// ValidateName checks an image (pot) name: 1-128 characters of letters,
// digits, '.', '_', '+', '-', starting with a letter or digit, and no "..".
func ValidateName(name string) error {
	return validatePart("name", name)
}

// ValidateTag checks an image tag with the same rules as ValidateName.
func ValidateTag(tag string) error {
	return validatePart("tag", tag)
}

func validatePart(what, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("image %s is empty", what)
	case len(s) > 128:
		return fmt.Errorf("image %s %.20q... is longer than 128 characters", what, s)
	case strings.Contains(s, ".."):
		return fmt.Errorf("image %s %q must not contain \"..\"", what, s)
	case !namePattern.MatchString(s):
		return fmt.Errorf("image %s %q may only hold letters, digits, '.', '_', '+', '-' and must start with a letter or digit", what, s)
	}
	return nil
}

// Validate checks the manifest's name, tag and platform fields.
func (m *Manifest) Validate() error {
	if err := ValidateName(m.Name); err != nil {
		return err
	}
	if err := ValidateTag(m.Tag); err != nil {
		return err
	}
	if m.OS == "" || m.Arch == "" {
		return fmt.Errorf("image %s: manifest needs os and arch", m.Ref())
	}
	for _, p := range m.ExposedPorts {
		if p < 1 || p > 65535 {
			return fmt.Errorf("image %s: exposed port %d out of range", m.Ref(), p)
		}
	}
	return nil
}

// MarshalManifest returns the canonical manifest bytes (indented JSON with a
// trailing newline), the bytes that are hashed into the digest file.
func MarshalManifest(m *Manifest) ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	return append(b, '\n'), nil
}

// ParseManifest decodes manifest bytes, refusing unknown fields.
func ParseManifest(b []byte) (*Manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode manifest: %w", err)
	}
	return &m, nil
}

// Digests is the content of a digest file: the sha256 (lower-case hex) of
// each listed file, by file name.
//
// The file format is one line per file, sorted by file name:
//
//	sha256:<64 hex>  <file name>
//
// as written by FormatDigests. It is close to sha256sum's output so
// `sed 's/^sha256://' x.sha256 | sha256sum -c` checks it.
type Digests map[string]string

// ErrBadDigestFile is wrapped by errors about malformed digest files.
var ErrBadDigestFile = errors.New("malformed digest file")

// FormatDigests returns the canonical digest file bytes.
func FormatDigests(d Digests) []byte {
	names := make([]string, 0, len(d))
	for n := range d {
		names = append(names, n)
	}
	slices.Sort(names)
	var b bytes.Buffer
	for _, n := range names {
		fmt.Fprintf(&b, "sha256:%s  %s\n", d[n], n)
	}
	return b.Bytes()
}

// ParseDigests parses a digest file.
func ParseDigests(b []byte) (Digests, error) {
	d := Digests{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if text == "" {
			continue
		}
		sum, name, ok := strings.Cut(text, "  ")
		hexSum, found := strings.CutPrefix(sum, "sha256:")
		if !ok || !found || len(hexSum) != 64 || name == "" || strings.ContainsAny(name, "/\\") {
			return nil, fmt.Errorf("%w: line %d: want \"sha256:<hex>  <file>\"", ErrBadDigestFile, line)
		}
		if _, err := hex.DecodeString(hexSum); err != nil {
			return nil, fmt.Errorf("%w: line %d: %w", ErrBadDigestFile, line, err)
		}
		if _, dup := d[name]; dup {
			return nil, fmt.Errorf("%w: line %d: %s listed twice", ErrBadDigestFile, line, name)
		}
		d[name] = strings.ToLower(hexSum)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadDigestFile, err)
	}
	if len(d) == 0 {
		return nil, fmt.Errorf("%w: no entries", ErrBadDigestFile)
	}
	return d, nil
}
