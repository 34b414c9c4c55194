package jobspec

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/wharf-project/wharf/internal/jsonlimit"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// MaxValueBytes bounds the size of any value a job file's expressions
// compute: a local, a variable, an attribute, a function's result. The
// source is at most hcl_max_bytes, so only amplification reaches it:
// locals that double each other, a for expression repeating a large value,
// replace or join with a large separator.
const MaxValueBytes = 4 << 20

// MaxValueDepth bounds how deeply a computed value nests (jsondecode can
// build one far deeper than the file's own nesting); a job's JSON could
// not be submitted with it anyway.
const MaxValueDepth = 100

// valueSize is the memory a value stands for, roughly its JSON size; it
// stops counting past limit.
func valueSize(v cty.Value, limit int) int {
	n, _ := valueShape(v, limit)
	return n
}

// valueShape returns valueSize and how deeply v nests, up to just past
// MaxValueDepth.
func valueShape(v cty.Value, limit int) (n, depth int) {
	_ = cty.Walk(v, func(p cty.Path, e cty.Value) (bool, error) {
		depth = max(depth, len(p))
		if n > limit || depth > MaxValueDepth {
			return false, nil
		}
		switch {
		case !e.IsKnown() || e.IsNull():
			n++
		case e.Type() == cty.String:
			n += len(e.AsString()) + 2
		case e.Type().IsObjectType() || e.Type().IsMapType():
			for it := e.ElementIterator(); it.Next(); {
				k, _ := it.Element()
				n += len(k.AsString()) + 1
			}
		default:
			n += 2
		}
		return true, nil
	})
	return n, depth
}

// sizeEstimate bounds what evaluating expr in ctx can produce before it is
// evaluated: its own text plus the size of every var or local it names
// (each occurrence counts), times the largest referenced collection when
// it holds a for expression or a splat, which repeat per element.
func sizeEstimate(expr hclsyntax.Expression, ctx *hcl.EvalContext) int {
	own := expr.Range().End.Byte - expr.Range().Start.Byte
	sum, maxElems := 0, 0
	for _, t := range expr.Variables() {
		v, ok := referenced(t, ctx)
		if !ok {
			continue
		}
		sum += valueSize(v, MaxValueBytes)
		if v.CanIterateElements() && v.IsWhollyKnown() {
			maxElems = max(maxElems, v.LengthInt())
		}
	}
	if repeats(expr) {
		return (own + sum) * (1 + maxElems)
	}
	return own + sum
}

// referenced resolves a var.NAME or local.NAME traversal.
func referenced(t hcl.Traversal, ctx *hcl.EvalContext) (cty.Value, bool) {
	if ctx == nil || len(t) < 2 {
		return cty.NilVal, false
	}
	root, ok := ctx.Variables[t.RootName()]
	attr, isAttr := t[1].(hcl.TraverseAttr)
	if !ok || !isAttr || !root.Type().IsObjectType() || !root.Type().HasAttribute(attr.Name) {
		return cty.NilVal, false
	}
	v := root.GetAttr(attr.Name)
	return v, v.IsKnown() && !v.IsNull()
}

// repeats reports whether expr holds a for expression or a splat.
func repeats(expr hclsyntax.Expression) bool {
	found := false
	_ = hclsyntax.VisitAll(expr, func(n hclsyntax.Node) hcl.Diagnostics {
		switch n.(type) {
		case *hclsyntax.ForExpr, *hclsyntax.SplatExpr:
			found = true
		}
		return nil
	})
	return found
}

// evalBounded evaluates expr after checking its size estimate, and checks
// the size of the result.
func evalBounded(expr hclsyntax.Expression, ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	if est := sizeEstimate(expr, ctx); est > MaxValueBytes {
		return cty.NilVal, tooLarge(expr.Range(), fmt.Sprintf("evaluating it could produce about %d bytes", est))
	}
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		return v, diags
	}
	n, depth := valueShape(v, MaxValueBytes)
	if n > MaxValueBytes {
		return cty.NilVal, tooLarge(expr.Range(), "its value is larger")
	}
	if depth > MaxValueDepth {
		return cty.NilVal, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Value nested too deeply",
			Detail:  fmt.Sprintf("its value nests deeper than the limit of %d levels", MaxValueDepth),
			Subject: expr.Range().Ptr()}}
	}
	return v, diags
}

func tooLarge(rng hcl.Range, why string) hcl.Diagnostics {
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Value too large",
		Detail:  fmt.Sprintf("%s than the limit of %d bytes of a job file's value", why, MaxValueBytes),
		Subject: rng.Ptr()}}
}

// guardSize wraps a function whose result can be much larger than its
// arguments (replace, regex_replace, join, format, formatlist): bound
// computes an upper bound of the result's size from the arguments, and a
// call over MaxValueBytes is refused before it runs.
func guardSize(f function.Function, bound func(args []cty.Value) int) function.Function {
	return function.New(&function.Spec{
		Params: f.Params(), VarParam: f.VarParam(),
		Type: func(args []cty.Value) (cty.Type, error) { return f.ReturnTypeForValues(args) },
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			for _, a := range args {
				if !a.IsWhollyKnown() {
					return f.Call(args)
				}
			}
			if n := bound(args); n > MaxValueBytes {
				return cty.NilVal, fmt.Errorf("the result could be %d bytes, over the limit of %d bytes of a job file's value", n, MaxValueBytes)
			}
			return f.Call(args)
		},
	})
}

// str returns a known, non-null string argument, or "".
func str(v cty.Value) string {
	if v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
		return ""
	}
	return v.AsString()
}

// replaceBound is len(s) plus every match of substr grown to repl.
func replaceBound(args []cty.Value) int {
	s, sub, repl := str(args[0]), str(args[1]), str(args[2])
	if sub == "" {
		return len(s) + (len(s)+1)*len(repl)
	}
	if strings.HasPrefix(sub, "/") && strings.HasSuffix(sub, "/") && len(sub) > 1 {
		return regexBound(s, sub[1:len(sub)-1], repl)
	}
	return len(s) + strings.Count(s, sub)*len(repl)
}

// regexBound bounds a regular expression replacement: each match becomes
// repl, with each $ reference in it at most as long as the match.
func regexBound(s, expr, repl string) int {
	re, err := regexp.Compile(expr)
	if err != nil {
		return len(s)
	}
	n := len(s)
	refs := strings.Count(repl, "$")
	countMatches(re, s, func(m int) bool {
		n += len(repl) + refs*m
		return n <= MaxValueBytes
	})
	return n
}

func regexReplaceBound(args []cty.Value) int {
	return regexBound(str(args[0]), str(args[1]), str(args[2]))
}

// joinBound is the elements plus a separator between each two.
func joinBound(args []cty.Value) int {
	sep := len(str(args[0]))
	n := 0
	for _, l := range args[1:] {
		n += valueSize(l, MaxValueBytes)
		if !l.IsNull() && l.CanIterateElements() {
			n += l.LengthInt() * sep
		}
	}
	return n
}

// formatBound bounds format and formatlist: each verb may print the
// largest argument, once per element of the longest list argument.
func formatBound(args []cty.Value) int {
	f := str(args[0])
	largest, rows := 0, 1
	for _, a := range args[1:] {
		largest = max(largest, valueSize(a, MaxValueBytes))
		if !a.IsNull() && (a.Type().IsListType() || a.Type().IsTupleType()) {
			rows = max(rows, a.LengthInt())
		}
	}
	return rows * (len(f) + strings.Count(f, "%")*largest)
}

// guardJSONDecode refuses, before decoding, a JSON text nested deeper than
// MaxValueDepth: decoding costs the square of the depth.
func guardJSONDecode(f function.Function) function.Function {
	return function.New(&function.Spec{
		Params: f.Params(), VarParam: f.VarParam(),
		Type: func(args []cty.Value) (cty.Type, error) {
			if err := jsonDepth(args); err != nil {
				return cty.NilType, err
			}
			return f.ReturnTypeForValues(args)
		},
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if err := jsonDepth(args); err != nil {
				return cty.NilVal, err
			}
			return f.Call(args)
		},
	})
}

func jsonDepth(args []cty.Value) error {
	if len(args) == 0 || !args[0].IsKnown() || args[0].IsNull() || args[0].Type() != cty.String {
		return nil
	}
	if err := jsonlimit.CheckDepth([]byte(args[0].AsString()), MaxValueDepth); err != nil {
		return function.NewArgErrorf(0, "%v", err)
	}
	return nil
}
