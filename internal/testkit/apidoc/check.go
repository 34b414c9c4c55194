package apidoc

import (
	"os"
	"strings"
	"testing"
)

// Check holds the section of the document at docPath that starts with
// heading against patterns, the server's route table ("METHOD /path";
// a pattern without a method, such as a catch-all, is skipped): a
// route served but not documented, or documented but not served, fails
// t, naming the route.
func Check(t testing.TB, docPath, heading string, patterns []string) {
	t.Helper()
	var served []string
	for _, p := range patterns {
		if method, path, ok := strings.Cut(p, " "); ok {
			served = append(served, Normalize(method, path))
		}
	}
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	documented, err := Routes(doc, heading)
	if err != nil {
		t.Fatalf("%s: %v", docPath, err)
	}
	undocumented, unserved := Diff(served, documented)
	for _, r := range undocumented {
		t.Errorf("%s is served but %s (%s) does not list it", r, docPath, heading)
	}
	for _, r := range unserved {
		t.Errorf("%s (%s) lists %s, which is not served", docPath, heading, r)
	}
}
