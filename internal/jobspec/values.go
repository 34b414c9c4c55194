package jobspec

import (
	"math"
	"time"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Each decoder below reads one argument of body into dst when it is present
// (and not null), records where it is written under path, and reports a
// bad value there. It returns whether dst was set, so that a block's
// defaults survive the arguments it leaves out.

// attr returns the argument and records its position.
func (p *parser) attr(body *hclsyntax.Body, name, path string) *hclsyntax.Attribute {
	a := body.Attributes[name]
	if a != nil {
		p.at(path, a.SrcRange)
	}
	return a
}

// convertTo evaluates an argument and converts it to ty.
func (p *parser) convertTo(a *hclsyntax.Attribute, path string, ty cty.Type, want string) (cty.Value, bool) {
	v, ok := p.value(a, path)
	if !ok {
		return v, false
	}
	out, err := convert.Convert(v, ty)
	if err != nil {
		p.errorf(a.Expr.Range(), path, "Incorrect attribute value type", "",
			"inappropriate value for %q: %s is required, got %s", a.Name, want, v.Type().FriendlyName())
		return cty.NilVal, false
	}
	if !out.IsWhollyKnown() {
		return cty.NilVal, false
	}
	return out, true
}

func (p *parser) str(body *hclsyntax.Body, name, path string, dst *string) bool {
	a := p.attr(body, name, path)
	if a == nil {
		return false
	}
	v, ok := p.convertTo(a, path, cty.String, "a string")
	if !ok || v.IsNull() {
		return false
	}
	*dst = v.AsString()
	return true
}

func (p *parser) boolean(body *hclsyntax.Body, name, path string, dst *bool) bool {
	a := p.attr(body, name, path)
	if a == nil {
		return false
	}
	v, ok := p.convertTo(a, path, cty.Bool, "a bool")
	if !ok || v.IsNull() {
		return false
	}
	*dst = v.True()
	return true
}

// integer reads a whole number between lo and hi.
func (p *parser) integer(body *hclsyntax.Body, name, path string, dst *int, lo, hi int) bool {
	a := p.attr(body, name, path)
	if a == nil {
		return false
	}
	v, ok := p.convertTo(a, path, cty.Number, "a number")
	if !ok || v.IsNull() {
		return false
	}
	bf := v.AsBigFloat()
	if !bf.IsInt() {
		p.errorf(a.Expr.Range(), path, "Invalid number", "", "%q must be a whole number, got %s", name, bf.Text('g', 10))
		return false
	}
	i, _ := bf.Int64()
	if i < int64(lo) || i > int64(hi) {
		p.errorf(a.Expr.Range(), path, "Number out of range", "", "%q must be between %d and %d, got %s", name, lo, hi, bf.Text('g', 10))
		return false
	}
	*dst = int(i)
	return true
}

// anyInt is the widest range integer accepts.
const anyInt = math.MaxInt32

func (p *parser) duration(body *hclsyntax.Body, name, path string, dst *time.Duration) bool {
	a := p.attr(body, name, path)
	if a == nil {
		return false
	}
	v, ok := p.value(a, path)
	if !ok {
		return false
	}
	if v.Type() == cty.Number {
		p.errorf(a.Expr.Range(), path, "Invalid duration", `write a quoted duration such as "30s"`,
			"%q must be a duration string with a unit, not a number", name)
		return false
	}
	v, ok = p.convertTo(a, path, cty.String, "a duration string")
	if !ok || v.IsNull() {
		return false
	}
	d, err := parseDuration(v.AsString())
	if err != nil {
		p.errorf(a.Expr.Range(), path, "Invalid duration", durationHint, "%q: %v", name, err)
		return false
	}
	*dst = d
	return true
}

func (p *parser) strList(body *hclsyntax.Body, name, path string, dst *[]string) bool {
	a := p.attr(body, name, path)
	if a == nil {
		return false
	}
	v, ok := p.convertTo(a, path, cty.List(cty.String), "a list of strings")
	if !ok || v.IsNull() {
		return false
	}
	out := make([]string, 0, v.LengthInt())
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() {
			p.errorf(a.Expr.Range(), path, "Invalid list", "", "%q must not contain null", name)
			return false
		}
		out = append(out, e.AsString())
	}
	*dst = out
	return true
}

// strMap reads a map of strings written as an argument (meta = {...}) or a
// block (meta {...}), but not both.
func (p *parser) strMap(body *hclsyntax.Body, name, path string) map[string]string {
	m := map[string]string{}
	p.mapOf(body, name, path, cty.String, "a map of strings", func(k string, v cty.Value) { m[k] = v.AsString() })
	if len(m) == 0 {
		return nil
	}
	return m
}

// mapOf reads a map whose values convert to elem, in argument or block
// form, calling set for each entry in source order.
func (p *parser) mapOf(body *hclsyntax.Body, name, path string, elem cty.Type, want string, set func(string, cty.Value)) {
	a := p.attr(body, name, path)
	blk := p.singleBlock(body, name)
	if a != nil && blk != nil {
		p.errorf(blk.TypeRange, path, "Duplicate "+name, "use either the argument or the block",
			"%s is set both as an argument (line %d) and as a block", name, a.SrcRange.Start.Line)
		return
	}
	if a != nil {
		v, ok := p.convertTo(a, path, cty.Map(elem), want)
		if ok && !v.IsNull() {
			for it := v.ElementIterator(); it.Next(); {
				k, e := it.Element()
				if !e.IsNull() {
					set(k.AsString(), e)
				}
			}
		}
		return
	}
	if blk == nil || !p.labels(blk, 0, "label") {
		return
	}
	p.at(path, blk.TypeRange)
	for _, nb := range blk.Body.Blocks {
		p.errorf(nb.TypeRange, path, "Unsupported block type", "", "a %s block holds only arguments", name)
	}
	for _, ea := range sortedAttrs(blk.Body) {
		if v, ok := p.convertTo(ea, path, elem, want); ok && !v.IsNull() {
			set(ea.Name, v)
		}
	}
}
