package httpapi

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCutUTF8(t *testing.T) {
	tests := []struct {
		name string
		s    string
		n    int
		want string
	}{
		{"short kept", "abc", 5, "abc"},
		{"exact kept", "abc", 3, "abc"},
		{"ascii cut", "abcdef", 4, "abcd"},
		{"zero", "abc", 0, ""},
		{"negative", "abc", -1, ""},
		{"two-byte not split", "aé", 2, "a"},
		{"two-byte whole", "aé", 3, "aé"},
		{"three-byte not split", "ab日本", 4, "ab"},
		{"three-byte at the start", "日本", 2, ""},
		{"four-byte not split", "x😀y", 4, "x"},
		{"four-byte whole", "x😀y", 5, "x😀"},
		{"invalid bytes cut near n", "a" + strings.Repeat("\x80", 10), 8, "a" + strings.Repeat("\x80", 7)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CutUTF8(tt.s, tt.n); got != tt.want {
				t.Fatalf("CutUTF8(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
			}
		})
	}
}

// TestCutUTF8NeverSplits cuts text mixing every character width at every
// length: the result is valid UTF-8, a prefix, at most n bytes, and less
// than a character shorter than n.
func TestCutUTF8NeverSplits(t *testing.T) {
	s := strings.Repeat("aé日😀", 20)
	for n := 0; n <= len(s)+1; n++ {
		got := CutUTF8(s, n)
		switch {
		case !utf8.ValidString(got):
			t.Fatalf("n=%d: %q is not valid UTF-8", n, got)
		case !strings.HasPrefix(s, got):
			t.Fatalf("n=%d: %q is not a prefix", n, got)
		case len(got) > n:
			t.Fatalf("n=%d: %d bytes", n, len(got))
		case len(got) <= n-utf8.UTFMax:
			t.Fatalf("n=%d: cut back to %d bytes, more than a character", n, len(got))
		}
	}
}

func FuzzCutUTF8(f *testing.F) {
	f.Add("aé日😀", 3)
	f.Add("\xff\x80\x80\x80\x80", 2)
	f.Fuzz(func(t *testing.T, s string, n int) {
		got := CutUTF8(s, n)
		if !strings.HasPrefix(s, got) || len(got) > max(n, 0) || (n < len(s) && len(got) < n-utf8.UTFMax+1 && n >= 0) {
			t.Fatalf("CutUTF8(%q, %d) = %q", s, n, got)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("CutUTF8(%q, %d) = %q splits a character", s, n, got)
		}
	})
}
