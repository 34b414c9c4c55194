package jobspec

import (
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
)

// variables reads the variable and locals blocks and sets up the
// evaluation context of the rest of the file.
func (p *parser) variables(body *hclsyntax.Body, opts Options) {
	vars := map[string]cty.Value{}
	declared := map[string]hcl.Range{}
	p.ctx = evalContext(p.funcs, vars, nil)
	for _, b := range blocksOf(body, "variable") {
		if !p.labels(b, 1, "name") {
			continue
		}
		name := b.Labels[0]
		if first, dup := declared[name]; dup {
			p.errorf(b.LabelRanges[0], "", "Duplicate variable", "", "variable %q was already declared at line %d", name, first.Start.Line)
			continue
		}
		declared[name] = b.DefRange()
		p.checkBody(b.Body, ctxVariable)
		vars[name] = p.variable(b, name, opts)
	}
	for _, name := range sortedKeys(opts.Vars) {
		if _, ok := declared[name]; !ok {
			p.errorf(hcl.Range{Filename: p.filename, Start: hcl.InitialPos}, "", "Undeclared variable",
				`declare it with variable "`+name+`" {}`, "a value was given for variable %q, which the file does not declare", name)
		}
	}
	p.ctx = evalContext(p.funcs, vars, nil)
	p.ctx = evalContext(p.funcs, vars, p.locals(body))
}

// variable returns the value of one variable: the one given in opts, else
// its default, converted to its declared type.
func (p *parser) variable(b *hclsyntax.Block, name string, opts Options) cty.Value {
	ty := cty.DynamicPseudoType
	if a := b.Body.Attributes["type"]; a != nil {
		t, diags := typeexpr.TypeConstraint(a.Expr)
		if diags.HasErrors() {
			p.addHCL(diags, "")
			return cty.DynamicVal
		}
		ty = t
	}
	var val cty.Value
	if raw, ok := opts.Vars[name]; ok {
		v, diags := varFromString(name, raw, ty, p.funcs, p.budget)
		if diags.HasErrors() {
			p.addHCL(diags, "")
			return cty.NullVal(ty)
		}
		val = v
	} else if a := b.Body.Attributes["default"]; a != nil {
		v, diags := evalBudgeted(a.Expr, &hcl.EvalContext{Functions: p.funcs}, p.budget)
		if diags.HasErrors() {
			p.addHCL(diags, "")
			return cty.NullVal(ty)
		}
		val = v
	} else {
		p.errorf(b.DefRange(), "", "Missing variable value", "give it a default, or a value when submitting the job",
			"variable %q has no default and no value was given", name)
		return cty.NullVal(ty)
	}
	out, err := convert.Convert(val, ty)
	if err != nil {
		p.errorf(b.DefRange(), "", "Invalid variable value", "", "variable %q: %v", name, err)
		return cty.NullVal(ty)
	}
	return out
}

// varFromString reads a variable's value given as text: as is for strings,
// as an HCL expression for other types.
func varFromString(name, raw string, ty cty.Type, funcs map[string]function.Function, b *evalBudget) (cty.Value, hcl.Diagnostics) {
	if ty == cty.String || ty == cty.DynamicPseudoType {
		return cty.StringVal(raw), nil
	}
	expr, diags := hclsyntax.ParseExpression([]byte(raw), "variable "+name, hcl.InitialPos)
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	boundFors(expr, b)
	return evalBudgeted(expr, &hcl.EvalContext{Functions: funcs}, b)
}

// maxLocals bounds the locals of a job file: they are ordered by their
// references, which costs the square of their number.
const maxLocals = 1000

// locals evaluates the locals blocks in dependency order.
func (p *parser) locals(body *hclsyntax.Body) map[string]cty.Value {
	pending := map[string]*hclsyntax.Attribute{}
	for _, b := range blocksOf(body, "locals") {
		if !p.labels(b, 0, "label") {
			continue
		}
		for _, nb := range b.Body.Blocks {
			p.errorf(nb.TypeRange, "", "Unsupported block type", "", "a locals block holds only arguments")
		}
		for _, a := range sortedAttrs(b.Body) {
			if first, dup := pending[a.Name]; dup {
				p.errorf(a.NameRange, "", "Duplicate local", "", "local %q was already defined at line %d", a.Name, first.SrcRange.Start.Line)
				continue
			}
			pending[a.Name] = a
		}
	}
	if len(pending) > maxLocals {
		p.errorf(body.SrcRange, "", "Too many locals", "", "%d locals are over the limit of %d", len(pending), maxLocals)
		return map[string]cty.Value{}
	}
	done := map[string]cty.Value{}
	for len(pending) > 0 {
		ready := readyLocals(pending)
		if len(ready) == 0 {
			ready = sortedKeys(pending) // a cycle or an unknown local: let HCL report it
		}
		p.ctx = evalContext(p.funcs, p.ctx.Variables["var"].AsValueMap(), done)
		for _, name := range ready {
			v, diags := evalBudgeted(pending[name].Expr, p.ctx, p.budget)
			if diags.HasErrors() {
				p.addHCL(diags, "")
				v = cty.NullVal(cty.DynamicPseudoType)
			}
			done[name] = v
			delete(pending, name)
		}
	}
	return done
}

// readyLocals returns the pending locals that refer to no pending local.
func readyLocals(pending map[string]*hclsyntax.Attribute) []string {
	var ready []string
	for name, a := range pending {
		ok := true
		for _, t := range a.Expr.Variables() {
			if t.RootName() != "local" || len(t) < 2 {
				continue
			}
			if ta, isAttr := t[1].(hcl.TraverseAttr); isAttr && pending[ta.Name] != nil {
				ok = false
			}
		}
		if ok {
			ready = append(ready, name)
		}
	}
	sort.Strings(ready)
	return ready
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
