package registry

import (
	"regexp"
	"strings"
)

// imageKinds are the file kinds of one image, in listing order.
var imageKinds = []string{"tar.zst", "json", "sha256", "sig"}

// NameRule describes the names uploads must have.
const NameRule = `file names must match <name>_<tag>.<ext> with name and tag made of [A-Za-z0-9._-] and ext one of tar.zst, json, sha256, sig`

var imageName = regexp.MustCompile(`^[A-Za-z0-9._-]+_[A-Za-z0-9._-]+\.(tar\.zst|json|sha256|sig)$`)

// ValidName reports whether name is an acceptable image file name.
func ValidName(name string) bool {
	return imageName.MatchString(name) && !strings.HasPrefix(name, ".")
}

// fileName returns the file an URL path names: exactly one segment, not
// a dotfile, with no separators or NUL bytes.
func fileName(urlPath string) (string, bool) {
	name, ok := strings.CutPrefix(urlPath, "/")
	if !ok || name == "" || strings.HasPrefix(name, ".") ||
		strings.ContainsAny(name, "/\\\x00") {
		return "", false
	}
	return name, true
}

// splitImage splits an image file name into `<name>_<tag>` and its kind.
// The split between name and tag is at the last underscore, so names may
// hold underscores and tags may not.
func splitImage(file string) (name, tag, kind string, ok bool) {
	if !ValidName(file) {
		return "", "", "", false
	}
	for _, k := range imageKinds {
		if base, found := strings.CutSuffix(file, "."+k); found {
			i := strings.LastIndexByte(base, '_')
			if i <= 0 || i == len(base)-1 {
				return "", "", "", false
			}
			return base[:i], base[i+1:], k, true
		}
	}
	return "", "", "", false
}

// contentType returns the Content-Type of a served file.
func contentType(name string) string {
	if strings.HasSuffix(name, ".json") {
		return "application/json"
	}
	return "application/octet-stream"
}
