package registry

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseTokens(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"one without newline", "abc", []string{"abc"}},
		{"blanks and comments", "\n  # admin\n abc \n\n#x\ndef\n", []string{"abc", "def"}},
		{"crlf", "abc\r\ndef\r\n", []string{"abc", "def"}},
		{"tabs trimmed", "\tabc\t\n", []string{"abc"}},
		{"hash inside a token kept", "a#b\n", []string{"a#b"}},
		{"only comments", "# a\n# b\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseTokens([]byte(tt.in)); !slices.Equal(got, tt.want) {
				t.Fatalf("ParseTokens(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestReadTokenFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good", "# upload\ns3cret\nother\n")
	if got, err := ReadTokenFile(good); err != nil || !slices.Equal(got, []string{"s3cret", "other"}) {
		t.Fatalf("ReadTokenFile(good) = %q, %v", got, err)
	}
	empty := write("empty", "# nothing here\n\n")
	if _, err := ReadTokenFile(empty); err == nil || !strings.Contains(err.Error(), "holds no token") {
		t.Fatalf("ReadTokenFile(empty) error = %v, want one saying it holds no token", err)
	}
	if _, err := ReadTokenFile(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "read token file") {
		t.Fatalf("ReadTokenFile(missing) error = %v", err)
	}
}
