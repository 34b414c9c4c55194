package jobspec

import (
	"errors"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// TestCountMatchesIsFindAll: countMatches visits the matches
// FindAllStringIndex returns, empty ones and non-ASCII text included.
func TestCountMatchesIsFindAll(t *testing.T) {
	for _, tc := range []struct{ re, s string }{
		{"", "abc"}, {"", ""}, {"a*", "baaab"}, {"a*?", "aaa"}, {".", "héllo"}, {"x", "abc"},
		{"(a)(b)?", "abab a"}, {"\\b", "one two"}, {"^", "abc"}, {"$", "abc"}, {"é*", "éaé"},
	} {
		re := regexp.MustCompile(tc.re)
		var got []int
		countMatches(re, tc.s, func(n int) bool { got = append(got, n); return true })
		var want []int
		for _, m := range re.FindAllString(tc.s, -1) {
			want = append(want, len(m))
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q in %q: %v, want %v", tc.re, tc.s, got, want)
		}
	}
}

// TestSplitAndRegexallChargeBeforeBuilding: split and regexall over a
// 2 MB string (made from a 512 KB file) would build two million values;
// they are refused with the total budget's error before they allocate
// them.
func TestSplitAndRegexallChargeBeforeBuilding(t *testing.T) {
	big := `replace("` + strings.Repeat("a", 512<<10) + `", "a", "aaaa")`
	job := "job \"x\" {\n  meta = { n = length(local.v) }\n}\n"
	for _, call := range []string{`split("", local.a)`, `regexall(".", local.a)`, `regexall("(a)(a)?", local.a)`} {
		t.Run(call, func(t *testing.T) {
			src := "locals {\n  a = " + big + "\n  v = " + call + "\n}\n" + job
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			j, err := ParseWithOptions("work.hcl", []byte(src), Options{})
			runtime.ReadMemStats(&after)
			var diags Diagnostics
			if j != nil || !errors.As(err, &diags) || !strings.Contains(err.Error(), "compute more than the limit") {
				t.Fatalf("Parse = %v, %.300v; want the total work refused", j, err)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%s: %d MiB allocated before the refusal", call, alloc>>20)
			if alloc > 32<<20 {
				t.Errorf("parsing allocated %d MiB before refusing", alloc>>20)
			}
		})
	}
}

// TestSplitAndRegexallWithinBudget: what real job files split and match
// is not refused.
func TestSplitAndRegexallWithinBudget(t *testing.T) {
	src := `locals {
  hosts = split(",", "a.example,b.example,c.example")
  parts = regexall("([a-z]+)\\.example", "a.example b.example")
}
job "x" {
  meta = { n = length(local.hosts), m = length(local.parts) }
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/true"
      }
    }
  }
}
`
	if _, err := ParseWithOptions("ok.hcl", []byte(src), Options{}); err != nil {
		t.Fatal(err)
	}
}
