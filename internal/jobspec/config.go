package jobspec

import (
	"math"
	"math/big"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// config reads a task's driver config as free-form HCL: arguments keep
// their values, and each nested block adds one map to the list under its
// type (a labelled block becomes {label: {...}}), as Nomad does.
func (p *parser) config(b *hclsyntax.Block, path string) map[string]any {
	p.at(path, b.DefRange())
	if !p.labels(b, 0, "label") {
		return nil
	}
	return p.configBody(b.Body, path)
}

func (p *parser) configBody(body *hclsyntax.Body, path string) map[string]any {
	out := map[string]any{}
	for _, a := range sortedAttrs(body) {
		apath := path + "." + a.Name
		p.at(apath, a.SrcRange)
		if v, ok := p.value(a, apath); ok {
			out[a.Name] = goValue(v)
		}
	}
	for _, nb := range body.Blocks {
		if _, clash := body.Attributes[nb.Type]; clash {
			p.errorf(nb.TypeRange, path, "Duplicate config key", "use either the argument or blocks",
				"%q is set both as an argument and as a block", nb.Type)
			continue
		}
		var elem any = p.configBody(nb.Body, path+"."+nb.Type)
		for i := len(nb.Labels) - 1; i >= 0; i-- {
			elem = map[string]any{nb.Labels[i]: elem}
		}
		list, _ := out[nb.Type].([]any)
		out[nb.Type] = append(list, elem)
	}
	return out
}

// goValue converts a known HCL value to plain Go: string, bool, int (whole
// numbers that fit) or float64, []any, map[string]any, or nil.
func goValue(v cty.Value) any {
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return v.AsString()
	case t == cty.Bool:
		return v.True()
	case t == cty.Number:
		return goNumber(v.AsBigFloat())
	case t.IsListType() || t.IsTupleType() || t.IsSetType():
		out := make([]any, 0, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = append(out, goValue(e))
		}
		return out
	case t.IsMapType() || t.IsObjectType():
		out := make(map[string]any, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			out[k.AsString()] = goValue(e)
		}
		return out
	}
	return nil
}

func goNumber(f *big.Float) any {
	if f.IsInt() {
		if i, acc := f.Int64(); acc == big.Exact && i >= math.MinInt && i <= math.MaxInt {
			return int(i)
		}
	}
	x, _ := f.Float64()
	return x
}
