package jobspec

import (
	"fmt"
	"maps"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// MaxEvalWork bounds what evaluating one job file may compute in all: the
// values every function call returns and every for expression's items,
// conditions and keys, each value counted as its bytes plus nodeCost per
// element. MaxValueBytes bounds each value; this bounds their sum, which a
// for expression nested in another (or one calling a function per item)
// multiplies without the file growing.
const MaxEvalWork = 8 * MaxValueBytes

// nodeCost is what one element of a computed value counts for: about the
// memory a cty value takes beyond its bytes.
const nodeCost = 16

// evalBudget is what is left of MaxEvalWork for one job file. Once it
// is spent, every budgeted function and for expression part returns an
// unknown value instead of computing: HCL goes on iterating a for
// expression after an error, and would pile up one error per item, but
// a for expression over an unknown collection returns at once.
type evalBudget struct {
	left  int
	spent bool
}

// charge takes v's cost from the budget, and reports whether any is left.
func (b *evalBudget) charge(v cty.Value) bool {
	n := nodeCost
	if v.IsKnown() && !v.IsNull() {
		n = evalCost(v, b.left)
	}
	b.left -= n
	if b.left < 0 {
		b.spent = true
	}
	return !b.spent
}

// check returns the budget's error, against rng, once it is spent.
func (b *evalBudget) check(rng hcl.Range) hcl.Diagnostics {
	if b == nil || !b.spent {
		return nil
	}
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Evaluation too large",
		Detail:  fmt.Sprintf("the job file's expressions compute more than the limit of %d bytes in all", MaxEvalWork),
		Subject: rng.Ptr()}}
}

// evalBudgeted is evalBounded that also fails once b is spent.
func evalBudgeted(expr hclsyntax.Expression, ctx *hcl.EvalContext, b *evalBudget) (cty.Value, hcl.Diagnostics) {
	v, diags := evalBounded(expr, ctx)
	if d := b.check(expr.Range()); d != nil {
		return cty.NilVal, d
	}
	return v, diags
}

// evalCost is valueSize with nodeCost per element; it stops counting
// past limit.
func evalCost(v cty.Value, limit int) int {
	n := 0
	_ = cty.Walk(v, func(_ cty.Path, e cty.Value) (bool, error) {
		if n > limit {
			return false, nil
		}
		n += nodeCost
		if e.IsKnown() && !e.IsNull() && e.Type() == cty.String {
			n += len(e.AsString())
		}
		return true, nil
	})
	return n
}

// budgetedFunctions returns the functions of one job file, each charging
// its result to b (those of preCosts before they run).
func budgetedFunctions(b *evalBudget) map[string]function.Function {
	out := make(map[string]function.Function, len(functions))
	for name, f := range maps.All(functions) {
		if pre, ok := preCosts[name]; ok {
			out[name] = chargeFirst(f, b, pre)
			continue
		}
		out[name] = chargeResult(f, b)
	}
	return out
}

// chargeResult wraps f so that its results are charged to b.
func chargeResult(f function.Function, b *evalBudget) function.Function {
	return function.New(&function.Spec{
		Params: f.Params(), VarParam: f.VarParam(),
		Type: func(args []cty.Value) (cty.Type, error) { return f.ReturnTypeForValues(args) },
		Impl: func(args []cty.Value, ty cty.Type) (cty.Value, error) {
			if b.spent {
				return cty.UnknownVal(ty), nil
			}
			v, err := f.Call(args)
			if err != nil {
				return v, err
			}
			if !b.charge(v) {
				return cty.UnknownVal(ty), nil
			}
			return v, nil
		},
	})
}

// boundFors rewrites, in place, every for expression under node so that
// each evaluation of its collection, key, value and condition is charged
// to b: the expression's source length (what evaluating its literals
// costs), the size of the variables and locals it names, and the size of
// its result. A for expression nested in another then costs the product
// of their lengths, and is stopped at MaxEvalWork however small the file.
func boundFors(node hclsyntax.Node, b *evalBudget) {
	var fors []*hclsyntax.ForExpr // all found before any is wrapped, which hides it from the walk
	_ = hclsyntax.VisitAll(node, func(n hclsyntax.Node) hcl.Diagnostics {
		if fe, ok := n.(*hclsyntax.ForExpr); ok {
			fors = append(fors, fe)
		}
		return nil
	})
	for _, fe := range fors {
		fe.CollExpr = guard(fe.CollExpr, b)
		fe.KeyExpr = guard(fe.KeyExpr, b)
		fe.ValExpr = guard(fe.ValExpr, b)
		fe.CondExpr = guard(fe.CondExpr, b)
	}
}

// guardedExpr is an expression whose evaluations are charged to a
// budget; once the budget is spent it is not evaluated and is unknown.
type guardedExpr struct {
	hclsyntax.Expression
	b    *evalBudget
	own  int
	refs []hcl.Traversal
}

// guard wraps e; nil stays nil.
func guard(e hclsyntax.Expression, b *evalBudget) hclsyntax.Expression {
	if e == nil {
		return nil
	}
	if _, ok := e.(*guardedExpr); ok {
		return e
	}
	rng := e.Range()
	// Embedding e in parentheses, rather than e itself, keeps e in the
	// walks over the syntax tree (Variables, Walk): they enter the
	// parentheses, then e.
	return &guardedExpr{Expression: &hclsyntax.ParenthesesExpr{Expression: e, SrcRange: rng}, b: b,
		own: nodeCost + rng.End.Byte - rng.Start.Byte, refs: e.Variables()}
}

// Value charges the expression's cost, then evaluates it and charges its
// result.
func (g *guardedExpr) Value(ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	if g.b.spent {
		return cty.DynamicVal, nil
	}
	g.b.left -= g.own
	for _, t := range g.refs {
		if v, ok := referencedIn(t, ctx); ok {
			g.b.left -= evalCost(v, max(g.b.left, 0))
		}
	}
	if g.b.left < 0 {
		g.b.spent = true
		return cty.DynamicVal, nil
	}
	v, diags := g.Expression.Value(ctx)
	if !diags.HasErrors() && !g.b.charge(v) {
		return cty.DynamicVal, nil
	}
	return v, diags
}

// referencedIn resolves a var.NAME or local.NAME traversal in ctx or the
// contexts it is a child of (a for expression's scope).
func referencedIn(t hcl.Traversal, ctx *hcl.EvalContext) (cty.Value, bool) {
	for c := ctx; c != nil; c = c.Parent() {
		if _, ok := c.Variables[t.RootName()]; ok {
			return referenced(t, c)
		}
	}
	return cty.NilVal, false
}
