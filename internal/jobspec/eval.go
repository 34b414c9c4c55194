package jobspec

import (
	"math/big"
	"regexp"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// functions are the HCL functions a job file may call: the common subset
// of Nomad's that needs no file system or network. Those that can build
// huge values from a small file (range, indent) are left out, and format's
// width is bounded, so that no job file can make the parser hang.
var functions = map[string]function.Function{
	"abs": stdlib.AbsoluteFunc, "ceil": stdlib.CeilFunc, "floor": stdlib.FloorFunc,
	"max": stdlib.MaxFunc, "min": stdlib.MinFunc, "parseint": stdlib.ParseIntFunc,
	"chomp": stdlib.ChompFunc, "format": guardSize(guardFormat(stdlib.FormatFunc), formatBound),
	"formatlist": guardSize(guardFormat(stdlib.FormatListFunc), formatBound),
	"join":       guardSize(stdlib.JoinFunc, joinBound), "lower": stdlib.LowerFunc, "upper": stdlib.UpperFunc,
	"regex": stdlib.RegexFunc, "regexall": stdlib.RegexAllFunc, "regex_replace": guardSize(stdlib.RegexReplaceFunc, regexReplaceBound),
	"replace": guardSize(stdlib.ReplaceFunc, replaceBound), "split": stdlib.SplitFunc, "substr": stdlib.SubstrFunc, "title": stdlib.TitleFunc,
	"trim": stdlib.TrimFunc, "trimprefix": stdlib.TrimPrefixFunc, "trimsuffix": stdlib.TrimSuffixFunc,
	"trimspace": stdlib.TrimSpaceFunc, "strlen": stdlib.StrlenFunc,
	"coalesce": stdlib.CoalesceFunc, "compact": stdlib.CompactFunc, "concat": stdlib.ConcatFunc,
	"contains": stdlib.ContainsFunc, "distinct": stdlib.DistinctFunc, "element": stdlib.ElementFunc,
	"flatten": stdlib.FlattenFunc, "keys": stdlib.KeysFunc, "length": stdlib.LengthFunc,
	"lookup": stdlib.LookupFunc, "merge": stdlib.MergeFunc,
	"reverse": stdlib.ReverseListFunc, "setunion": stdlib.SetUnionFunc, "slice": stdlib.SliceFunc,
	"sort": stdlib.SortFunc, "values": stdlib.ValuesFunc, "zipmap": stdlib.ZipmapFunc,
	"jsonencode": stdlib.JSONEncodeFunc, "jsondecode": guardJSONDecode(stdlib.JSONDecodeFunc),
	"tostring": stdlib.MakeToFunc(cty.String), "tonumber": stdlib.MakeToFunc(cty.Number),
	"tobool": stdlib.MakeToFunc(cty.Bool), "tolist": stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
	"tomap": stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)), "toset": stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
}

// evalContext returns the context expressions are evaluated in: input
// variables as var.NAME, locals as local.NAME, and the file's functions.
func evalContext(funcs map[string]function.Function, vars, locals map[string]cty.Value) *hcl.EvalContext {
	return &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(vars), "local": cty.ObjectVal(locals)},
		Functions: funcs,
	}
}

// value evaluates an attribute. Null counts as absent; errors are reported
// against path.
func (p *parser) value(a *hclsyntax.Attribute, path string) (cty.Value, bool) {
	v, diags := evalBudgeted(a.Expr, p.ctx, p.budget)
	if diags.HasErrors() {
		p.addHCL(diags, path)
		return cty.NilVal, false
	}
	if v.IsNull() {
		return v, false
	}
	if !v.IsWhollyKnown() {
		p.errorf(a.Expr.Range(), path, "Unknown value", "", "the value of %q cannot be known when the job is parsed", a.Name)
		return cty.NilVal, false
	}
	v, _ = v.UnmarkDeep()
	if hasInfinity(v) {
		p.errorf(a.Expr.Range(), path, "Number out of range", "", "the value of %q is infinite", a.Name)
		return cty.NilVal, false
	}
	return v, true
}

// hasInfinity reports whether v holds an infinite number (from 1/0), which
// JSON cannot carry.
func hasInfinity(v cty.Value) bool {
	inf := false
	_ = cty.Walk(v, func(_ cty.Path, e cty.Value) (bool, error) {
		if e.Type() == cty.Number && e.IsKnown() && !e.IsNull() && e.AsBigFloat().IsInf() {
			inf = true
		}
		return !inf, nil
	})
	return inf
}

// hugeFormatWidth matches a format verb with a width or precision of five
// digits or more.
var hugeFormatWidth = regexp.MustCompile(`%[^a-zA-Z%]*[0-9]{5}`)

// guardFormat wraps format or formatlist to refuse huge widths.
func guardFormat(f function.Function) function.Function {
	return function.New(&function.Spec{
		Params: f.Params(), VarParam: f.VarParam(),
		Type: func(args []cty.Value) (cty.Type, error) { return f.ReturnTypeForValues(args) },
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if len(args) > 0 && args[0].IsKnown() && !args[0].IsNull() && args[0].Type() == cty.String &&
				hugeFormatWidth.MatchString(args[0].AsString()) {
				return cty.NilVal, function.NewArgErrorf(0, "format width or precision too large")
			}
			return f.Call(args)
		},
	})
}

// maxLiteral bounds number literals: beyond it, printing a number as a
// string could take minutes.
var maxLiteral = big.NewFloat(1e300)

// keepRuntimeRefs rewrites, in place, every interpolation of a runtime
// value in a string template ("${attr.kernel.name}", "${NOMAD_PORT_http}",
// "${meta.rack}") into its literal text, so that the client interpolates
// it when the task runs. References to var, local and for-expression
// symbols are left to be evaluated.
//
// It also refuses number literals beyond ±1e300 (or nonzero within
// ±1e-300), returning them as diagnostics.
func keepRuntimeRefs(body *hclsyntax.Body, src []byte) hcl.Diagnostics {
	return hclsyntax.Walk(body, &runtimeRefs{src: src})
}

// runtimeRefs is the walker of keepRuntimeRefs; scope holds the symbols
// of the enclosing for expressions.
type runtimeRefs struct {
	src   []byte
	scope []string
}

var _ hclsyntax.Walker = (*runtimeRefs)(nil)

// Enter rewrites template parts and opens for-expression scopes.
func (r *runtimeRefs) Enter(node hclsyntax.Node) hcl.Diagnostics {
	switch n := node.(type) {
	case *hclsyntax.ForExpr:
		r.scope = append(r.scope, n.KeyVar, n.ValVar)
	case *hclsyntax.TemplateExpr:
		for i, part := range n.Parts {
			if lit := r.literal(part); lit != nil {
				n.Parts[i] = lit
			}
		}
	case *hclsyntax.TemplateWrapExpr:
		if lit := r.literal(n.Wrapped); lit != nil {
			n.Wrapped = lit
		}
	case *hclsyntax.LiteralValueExpr:
		return checkNumber(n)
	}
	return nil
}

// checkNumber refuses a number literal too large or too small to print.
func checkNumber(n *hclsyntax.LiteralValueExpr) hcl.Diagnostics {
	if n.Val.Type() != cty.Number || n.Val.IsNull() || !n.Val.IsKnown() {
		return nil
	}
	abs := new(big.Float).Abs(n.Val.AsBigFloat())
	if abs.Sign() == 0 || abs.Cmp(maxLiteral) <= 0 && abs.Cmp(new(big.Float).Quo(big.NewFloat(1), maxLiteral)) >= 0 {
		return nil
	}
	rng := n.SrcRange
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Number out of range",
		Detail: "numbers in a job file must lie within ±1e300", Subject: &rng}}
}

// Exit closes for-expression scopes.
func (r *runtimeRefs) Exit(node hclsyntax.Node) hcl.Diagnostics {
	if _, ok := node.(*hclsyntax.ForExpr); ok {
		r.scope = r.scope[:len(r.scope)-2]
	}
	return nil
}

// literal returns the "${...}" text of a runtime reference, or nil when
// expr is not one.
func (r *runtimeRefs) literal(expr hclsyntax.Expression) hclsyntax.Expression {
	st, ok := expr.(*hclsyntax.ScopeTraversalExpr)
	if !ok || !r.isRuntime(st.Traversal.RootName()) {
		return nil
	}
	rng := st.SrcRange
	if rng.Start.Byte < 0 || rng.End.Byte > len(r.src) || rng.Start.Byte > rng.End.Byte {
		return nil
	}
	text := "${" + string(rng.SliceBytes(r.src)) + "}"
	return &hclsyntax.LiteralValueExpr{Val: cty.StringVal(text), SrcRange: rng}
}

func (r *runtimeRefs) isRuntime(root string) bool {
	if root == "var" || root == "local" {
		return false
	}
	for _, s := range r.scope {
		if s == root {
			return false
		}
	}
	return true
}
