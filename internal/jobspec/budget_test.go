package jobspec

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestParseBoundsTotalWork submits files of a few tens of kilobytes whose
// for expressions multiply (nested, or calling a function per item): each
// one used to grow the process by gigabytes (a 40 KB body to
// /v1/jobs/parse reached 10 GB). They are refused with the total budget's
// error, quickly and with little memory.
func TestParseBoundsTotalWork(t *testing.T) {
	chars := `"` + strings.Repeat("a", 20_000) + `"`
	tuple := "[" + strings.Repeat("1,", 10_000) + "1]"
	job := "job \"x\" {\n  meta = { n = length(local.v) }\n}\n"
	tests := []struct {
		name, src string
		vars      map[string]string
	}{
		{name: "nested for over split", src: "locals {\n  v = [for a in split(\"\", " + chars + ") : [for b in split(\"\", " + chars + ") : 1]]\n}\n" + job},
		{name: "nested for over literal tuples", src: "locals {\n  v = [for a in " + tuple + " : [for b in " + tuple + " : b]]\n}\n" + job},
		{name: "nested for that keeps nothing", src: "locals {\n  v = [for a in " + tuple + " : [for b in " + tuple + " : b if a > 1]]\n}\n" + job},
		{name: "nested object for", src: "locals {\n  v = {for a in split(\"\", " + chars + ") : a => [for b in split(\"\", " + chars + ") : b]...}\n}\n" + job},
		{name: "a large function result per item", src: "locals {\n  v = [for a in " + tuple + " : length(format(\"%s%s%s%s%s%s%s%s%s%s\", " + strings.Repeat(chars+",", 9) + chars + "))]\n}\n" + job},
		{name: "nested for in a variable's value", src: "variable \"v\" {\n  type = list(list(number))\n}\nlocals {\n  v = var.v\n}\n" + job,
			vars: map[string]string{"v": "[for a in " + tuple + " : [for b in " + tuple + " : b]]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			j, err := ParseWithOptions("work.hcl", []byte(tt.src), Options{Vars: tt.vars})
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			var diags Diagnostics
			if j != nil || !errors.As(err, &diags) || !strings.Contains(err.Error(), "compute more than the limit") {
				t.Fatalf("Parse = %v, %.500v; want the total work refused", j, err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<30 {
				t.Errorf("parsing allocated %d MiB before refusing", alloc>>20)
			}
			if took > 20*time.Second {
				t.Errorf("parsing took %v before refusing", took)
			}
		})
	}
}

// TestParseForExpressionsWithinBudget keeps the budget from refusing what
// real job files do with for expressions, including nested ones.
func TestParseForExpressionsWithinBudget(t *testing.T) {
	src := `variable "ports" {
  default = [for i in [1, 2, 3] : { label = "p${i}", to = 8000 + i }]
}
locals {
  dcs   = split(",", "dc1,dc2,dc3")
  pairs = flatten([for a in local.dcs : [for b in local.dcs : "${a}-${b}" if a != b]])
  byidx = { for i, p in var.ports : p.label => format("%s:%d", p.label, p.to) }
}
job "x" {
  datacenters = local.dcs
  meta = {
    pairs = join(",", local.pairs)
    ports = jsonencode(local.byidx)
  }
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
	j, err := Parse("ok.hcl", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if got := j.Meta["pairs"]; got != "dc1-dc2,dc1-dc3,dc2-dc1,dc2-dc3,dc3-dc1,dc3-dc2" {
		t.Fatalf("pairs = %q", got)
	}
	if got := j.Meta["ports"]; got != `{"p1":"p1:8001","p2":"p2:8002","p3":"p3:8003"}` {
		t.Fatalf("ports = %q", got)
	}
}
