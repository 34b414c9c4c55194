package jobspec

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Diagnostic is one problem in a job file, with its position.
type Diagnostic struct {
	Filename string
	Line     int
	Column   int
	Summary  string
	Detail   string `json:",omitempty"`
	// Hint says how to fix the problem, where one helps.
	Hint string `json:",omitempty"`
}

// String formats the diagnostic as file:line:col: summary: detail (hint).
func (d *Diagnostic) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d:%d: %s", d.Filename, d.Line, d.Column, d.Summary)
	if d.Detail != "" {
		b.WriteString(": " + d.Detail)
	}
	if d.Hint != "" {
		b.WriteString(" (" + d.Hint + ")")
	}
	return b.String()
}

// Diagnostics is every problem found in a job file. It is the error Parse
// returns.
type Diagnostics []*Diagnostic

var _ error = Diagnostics(nil)

// Error prints one diagnostic per line, sorted by position.
func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds.Sorted() {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// Sorted returns the diagnostics sorted by file, line, column and summary.
func (ds Diagnostics) Sorted() Diagnostics {
	out := slices.Clone(ds)
	slices.SortStableFunc(out, func(a, b *Diagnostic) int {
		return cmp.Or(cmp.Compare(a.Filename, b.Filename), cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column), cmp.Compare(a.Summary, b.Summary))
	})
	return out
}

// errorOrNil returns ds sorted as an error, or nil when it is empty.
func (ds Diagnostics) errorOrNil() error {
	if len(ds) == 0 {
		return nil
	}
	return ds.Sorted()
}

// newDiag returns a diagnostic at the start of rng.
func newDiag(rng hcl.Range, summary, detail, hint string) *Diagnostic {
	return &Diagnostic{
		Filename: rng.Filename, Line: rng.Start.Line, Column: rng.Start.Column,
		Summary: summary, Detail: detail, Hint: hint,
	}
}

// fromHCL converts HCL's diagnostics, keeping errors only.
func fromHCL(diags hcl.Diagnostics, filename string) Diagnostics {
	var out Diagnostics
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		rng := hcl.Range{Filename: filename, Start: hcl.InitialPos}
		if d.Subject != nil {
			rng = *d.Subject
		}
		out = append(out, newDiag(rng, d.Summary, strings.TrimSuffix(d.Detail, "."), ""))
	}
	return out
}
