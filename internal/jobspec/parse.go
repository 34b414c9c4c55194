package jobspec

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/wharf-project/wharf/internal/structs"
	"github.com/zclconf/go-cty/cty/function"
)

// Options changes how a job file is parsed.
type Options struct {
	// Vars sets input variables by name, overriding their defaults. Each
	// value is read as the variable's type: a string is taken as is, other
	// types are parsed as HCL expressions ("3", "true", "[\"a\"]").
	Vars map[string]string
	// MaxBytes bounds the source's size; 0 means DefaultMaxBytes.
	MaxBytes int
	// MaxDepth bounds the source's nesting depth (and each variable
	// value's); 0 means DefaultMaxDepth.
	MaxDepth int
}

// Parse reads a job file's source and returns the job with Nomad's
// defaults applied and validated. On failure the error is Diagnostics,
// listing every problem with its position; filename is only used in them.
func Parse(filename string, src []byte) (*structs.Job, error) {
	return ParseWithOptions(filename, src, Options{})
}

// ParseFile reads and parses the job file at path.
func ParseFile(path string) (*structs.Job, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read job file: %w", err)
	}
	return Parse(path, src)
}

// ParseWithOptions is Parse with input variables set.
func ParseWithOptions(filename string, src []byte, opts Options) (*structs.Job, error) {
	if err := checkSource(filename, src, opts); err != nil {
		return nil, err
	}
	for name, v := range opts.Vars {
		if err := checkSource("var."+name, []byte(v), opts); err != nil {
			return nil, err
		}
	}
	file, hdiags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if hdiags.HasErrors() {
		return nil, fromHCL(hdiags, filename).errorOrNil()
	}
	body, ok := file.Body.(*hclsyntax.Body)
	if !ok {
		return nil, errors.New("internal error: not a native HCL body")
	}
	if diags := keepRuntimeRefs(body, src); diags.HasErrors() {
		return nil, fromHCL(diags, filename).errorOrNil()
	}
	p := newParser(filename, src)
	boundFors(body, p.budget)
	job := p.file(body, opts)
	if job == nil {
		return nil, p.diags.errorOrNil()
	}
	job.Canonicalize()
	p.validate(job)
	if err := p.diags.errorOrNil(); err != nil {
		return nil, err
	}
	return job, nil
}

// parser walks one file, collecting diagnostics and the position of every
// block and attribute by the field path Validate names it with.
type parser struct {
	filename string
	src      []byte
	diags    Diagnostics
	ctx      *hcl.EvalContext
	budget   *evalBudget
	funcs    map[string]function.Function
	pos      map[string]hcl.Range
	failed   map[string]bool
	jobRange hcl.Range
	jobType  string
}

func newParser(filename string, src []byte) *parser {
	budget := &evalBudget{left: MaxEvalWork}
	return &parser{
		filename: filename, src: src,
		budget: budget, funcs: budgetedFunctions(budget),
		pos: map[string]hcl.Range{}, failed: map[string]bool{},
		jobRange: hcl.Range{Filename: filename, Start: hcl.InitialPos, End: hcl.InitialPos},
	}
}

// errorf records a diagnostic at rng and marks path (if any) as failed, so
// that Validate's complaint about the same field is not repeated.
func (p *parser) errorf(rng hcl.Range, path, summary, hint, format string, args ...any) {
	p.diags = append(p.diags, newDiag(rng, summary, fmt.Sprintf(format, args...), hint))
	if path != "" {
		p.failed[path] = true
	}
}

// addHCL records HCL's diagnostics for path, with hints for the usual
// mistakes: an unquoted runtime value, an undeclared input variable.
func (p *parser) addHCL(diags hcl.Diagnostics, path string) {
	if !diags.HasErrors() {
		return
	}
	for _, hd := range diags {
		ds := fromHCL(hcl.Diagnostics{hd}, p.filename)
		if len(ds) == 0 {
			continue
		}
		d := ds[0]
		switch {
		case d.Summary == "Unknown variable":
			d.Hint = `runtime values must be quoted: "${attr.kernel.name}"; input variables are var.NAME`
		case d.Summary == "Unsupported attribute" && rootName(hd.Expression) == "var":
			d.Hint = "declare the variable with a variable block"
		}
		p.diags = append(p.diags, d)
	}
	if path != "" {
		p.failed[path] = true
	}
}

// rootName is the first name of a traversal expression, or "".
func rootName(expr hcl.Expression) string {
	if st, ok := expr.(*hclsyntax.ScopeTraversalExpr); ok {
		return st.Traversal.RootName()
	}
	return ""
}

// at records where the field path is written.
func (p *parser) at(path string, rng hcl.Range) {
	if _, ok := p.pos[path]; !ok {
		p.pos[path] = rng
	}
}

// file reads the top level: variables, locals and one job block.
func (p *parser) file(body *hclsyntax.Body, opts Options) *structs.Job {
	p.checkBody(body, ctxFile)
	p.variables(body, opts)
	var jobs []*hclsyntax.Block
	for _, b := range body.Blocks {
		if b.Type == "job" {
			jobs = append(jobs, b)
		}
	}
	switch len(jobs) {
	case 0:
		p.errorf(hcl.Range{Filename: p.filename, Start: hcl.InitialPos}, "", "Missing job block",
			`add job "name" { ... }`, "a job file must have one job block")
		return nil
	case 1:
	default:
		p.errorf(jobs[1].DefRange(), "", "Duplicate job block", "put each job in its own file",
			"a job file may have only one job block; the first is at line %d", jobs[0].DefRange().Start.Line)
	}
	return p.job(jobs[0])
}

// validate runs Validate and reports each problem at the position of the
// field it names (or of the closest enclosing block), skipping fields that
// already failed to parse.
func (p *parser) validate(job *structs.Job) {
	err := job.Validate()
	var verr *structs.ValidationError
	if !errors.As(err, &verr) {
		return
	}
	for _, prob := range verr.Problems {
		if p.alreadyFailed(prob.Field) {
			continue
		}
		p.diags = append(p.diags, newDiag(p.position(prob.Field), "Invalid job", prob.Message, prob.Hint))
	}
}

// position returns where the longest recorded prefix of path is written.
func (p *parser) position(path string) hcl.Range {
	for q := path; q != ""; q = parentPath(q) {
		if rng, ok := p.pos[q]; ok {
			return rng
		}
	}
	return p.jobRange
}

func (p *parser) alreadyFailed(path string) bool {
	for q := path; q != ""; q = parentPath(q) {
		if p.failed[q] {
			return true
		}
	}
	return false
}

// parentPath strips the last .Field or [key] of a field path.
func parentPath(path string) string {
	if strings.HasSuffix(path, `"]`) {
		if i := strings.LastIndex(path, `["`); i >= 0 {
			return path[:i]
		}
	}
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndex(path, "["); i >= 0 {
			return path[:i]
		}
	}
	if i := strings.LastIndexAny(path, ".]"); i >= 0 {
		if path[i] == ']' {
			return path[:i+1]
		}
		return path[:i]
	}
	return ""
}
