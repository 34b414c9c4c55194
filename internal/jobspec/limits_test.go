package jobspec

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestNestingOverflow(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		limit int
		want  int // offset, -1 for none
	}{
		{"flat", `a = 1`, 1, -1},
		{"blocks at limit", `a { b { c = 1 } }`, 2, -1},
		{"blocks over limit", `a { b { c { } } }`, 2, 10},
		{"brackets and parens", `a = [([1])]`, 2, 6},
		{"brackets in a string do not count", `a = "[[[[(((("`, 1, -1},
		{"escaped quote stays in the string", `a = "\"[[[["`, 1, -1},
		{"interpolation counts", `a = "${[1]}"`, 2, 7},
		{"escaped interpolation does not", `a = "$${[[[[[["`, 1, -1},
		{"nested strings in interpolations", `a = "${"${"${1}"}"}"`, 4, 10},
		{"line comment", "a = 1 # [[[[[[\nb = 2", 1, -1},
		{"slash comment", "a = 1 // {{{{{{\nb = 2", 1, -1},
		{"block comment", "a = 1 /* {{{{ \n [[[[ */ b = [1]", 1, -1},
		{"heredoc text does not count", "a = <<EOF\n[[[[[[\nEOF\nb = 1", 1, -1},
		{"heredoc interpolation counts", "a = <<-EOF\n  ${[[1]]}\n  EOF\n", 3, 16},
		{"heredoc closes", "a = <<EOF\nx\nEOF\nb = [[1]]", 2, -1},
		{"unterminated string ends at newline", "a = \"[[\nb = [[1]]", 2, -1},
		{"unbalanced closers are ignored", `}}}]]] a = [1]`, 1, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NestingOverflow([]byte(tt.src), tt.limit); got != tt.want {
				t.Fatalf("NestingOverflow(%q, %d) = %d, want %d", tt.src, tt.limit, got, tt.want)
			}
		})
	}
}

// TestParseRefusesDeepAndLargeSources is the regression test of the stack
// overflow: 200 KB of nesting used to crash hcl's recursive parser.
func TestParseRefusesDeepAndLargeSources(t *testing.T) {
	deep := func(open, close string, n int) string {
		return `job "x" { meta = { a = ` + strings.Repeat(open, n) + "1" + strings.Repeat(close, n) + " } }"
	}
	tests := []struct {
		name string
		src  string
		opts Options
		want string
	}{
		{"brackets 100k deep", deep("[", "]", 100_000), Options{}, "nested too deeply"},
		{"parens 100k deep", deep("(", ")", 100_000), Options{}, "limit of 100 levels"},
		{"interpolations 50k deep", deep(`"${`, `}"`, 50_000), Options{}, "nested too deeply"},
		{"blocks 70k deep", `job "x" {` + strings.Repeat("a {", 70_000), Options{}, "nested too deeply"},
		{"configured depth", deep("[", "]", 20), Options{MaxDepth: 10}, "limit of 10 levels"},
		{"too large", `job "x" {}` + strings.Repeat(" ", DefaultMaxBytes), Options{}, "over the limit of 1048576 bytes"},
		{"configured size", `job "x" { }`, Options{MaxBytes: 5}, "over the limit of 5 bytes"},
		{"deep variable value", `job "x" {}`, Options{Vars: map[string]string{"v": strings.Repeat("[", 1000)}}, "var.v:1:101"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job, err := ParseWithOptions("deep.hcl", []byte(tt.src), tt.opts)
			var diags Diagnostics
			if job != nil || !errors.As(err, &diags) {
				t.Fatalf("ParseWithOptions = %v, %v; want Diagnostics", job, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// TestSeedFilesWithinDefaultDepth keeps the defaults honest: every job
// file in testdata is far below them.
func TestSeedFilesWithinDefaultDepth(t *testing.T) {
	for _, f := range []string{"testdata/seed.nomad.hcl", "testdata/seed-full.nomad.hcl"} {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if off := NestingOverflow(src, 10); off >= 0 {
			t.Errorf("%s nests deeper than 10 at offset %d", f, off)
		}
	}
}

// FuzzNestingOverflow checks the depth scan on any input: it never
// panics, reports an offset inside the source where nesting opens, and a
// source within a limit stays within every larger one.
func FuzzNestingOverflow(f *testing.F) {
	for _, s := range []string{`a { b = [1] }`, "a = <<EOF\n[[\nEOF\n", `a = "${"${1}"}"`, `#[[[` + "\n" + `/*{{*/ x = ((1))`} {
		f.Add([]byte(s), 2)
	}
	f.Fuzz(func(t *testing.T, src []byte, limit int) {
		limit = 1 + (limit%64+64)%64
		off := NestingOverflow(src, limit)
		if off >= len(src) || off < -1 {
			t.Fatalf("offset %d outside a %d byte source", off, len(src))
		}
		if off >= 0 && !strings.ContainsRune(`{[("<$%`, rune(src[off])) {
			t.Fatalf("offset %d is at %q, which opens nothing", off, src[off])
		}
		if off == -1 && NestingOverflow(src, limit+1) != -1 {
			t.Fatalf("within %d but not within %d", limit, limit+1)
		}
	})
}
