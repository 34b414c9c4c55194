package jobspec

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// doublingLocals is a file whose locals double a 1,000 byte string n
// times: 4 GB at n = 22, which used to exhaust the parser's memory.
func doublingLocals(n int) string {
	var b strings.Builder
	b.WriteString("locals {\n  l0 = \"" + strings.Repeat("x", 1000) + "\"\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  l%d = \"${local.l%d}${local.l%d}\"\n", i, i-1, i-1)
	}
	fmt.Fprintf(&b, "}\njob \"x\" {\n  meta = { a = local.l%d }\n}\n", n)
	return b.String()
}

func TestParseRefusesAmplification(t *testing.T) {
	big := `"` + strings.Repeat("a", 200_000) + `"`
	tests := []struct {
		name, src, want string
	}{
		{"doubling locals", doublingLocals(22), "Value too large"},
		{"repeated reference", "locals {\n  a = " + big + "\n}\njob \"x\" {\n  meta = { a = \"" + strings.Repeat("${local.a}", 30) + "\" }\n}\n", "could produce about"},
		{"for expression", "locals {\n  l = [for i in split(\",\", \"" + strings.Repeat("1,", 5000) + "\") : i]\n  a = " + big + "\n}\njob \"x\" {\n  meta = { a = join(\"\", [for i in local.l : local.a]) }\n}\n", "could produce about"},
		{"replace", "job \"x\" {\n  meta = { a = replace(" + big + ", \"a\", " + big + ") }\n}\n", "over the limit of 4194304 bytes"},
		{"regex_replace", "job \"x\" {\n  meta = { a = regex_replace(" + big + ", \"a\", \"$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0\") }\n}\n", "over the limit"},
		{"join separator", "job \"x\" {\n  meta = { a = join(" + big + ", split(\",\", \"" + strings.Repeat(",", 100) + "\")) }\n}\n", "over the limit"},
		{"format reusing an argument", "job \"x\" {\n  meta = { a = format(\"" + strings.Repeat("%[1]s", 100) + "\", " + big + ") }\n}\n", "over the limit"},
		{"jsondecode nesting", "job \"x\" {\n  meta = { a = jsondecode(\"" + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\") }\n}\n", "JSON nested deeper than the limit of 100"},
		{"too many locals", "locals {\n" + manyLocals(1001) + "}\njob \"x\" {}\n", "Too many locals"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job, err := Parse("amp.hcl", []byte(tt.src))
			var diags Diagnostics
			if job != nil || !errors.As(err, &diags) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse = %v, %.500v; want Diagnostics with %q", job, err, tt.want)
			}
		})
	}
}

func manyLocals(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "  l%d = %d\n", i, i)
	}
	return b.String()
}

// TestOrdinaryFunctionsStillWork keeps the guards from refusing what real
// job files do.
func TestOrdinaryFunctionsStillWork(t *testing.T) {
	src := `locals {
  base  = "web"
  names = [for i in range3 : "${local.base}-${i}"]
}
variable "dc" { default = "dc1" }
job "x" {
  datacenters = [var.dc]
  meta = {
    a = join(",", ["a", "b"])
    b = replace("a-b-c", "-", "_")
    c = format("%s-%03d", local.base, 7)
    d = regex_replace("v1.2.3", "^v", "")
    e = join(" ", formatlist("%s!", ["x", "y"]))
  }
  group "g" {
    task "t" {
      driver = "raw_exec"
      config { command = "/bin/true" }
    }
  }
}
`
	src = strings.Replace(src, "range3", `["1", "2", "3"]`, 1)
	job, err := Parse("ok.hcl", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a": "a,b", "b": "a_b_c", "c": "web-007", "d": "1.2.3", "e": "x! y!"}
	for k, v := range want {
		if job.Meta[k] != v {
			t.Errorf("meta.%s = %q, want %q", k, job.Meta[k], v)
		}
	}
}
