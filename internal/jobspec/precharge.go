package jobspec

import (
	"regexp"
	"strings"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// elemCost is what one element of a list a function is about to build is
// charged before it is built: about what a cty string value takes in
// memory beyond its bytes.
const elemCost = 64

// preCosts are the functions whose result can have many more elements than
// their arguments (one per character, one per match), with an upper bound
// of what their result costs, computed without building it: they are
// charged before they run, so that a job file cannot make the parser
// allocate a list of millions of values only to refuse it afterwards.
var preCosts = map[string]func(args []cty.Value, limit int) int{
	"split":    splitCost,
	"regexall": regexallCost,
}

// splitCost bounds split(sep, s): one element per piece.
func splitCost(args []cty.Value, _ int) int {
	sep, s := str(args[0]), str(args[1])
	pieces := len(s) + 1
	if sep != "" {
		pieces = strings.Count(s, sep) + 1
	}
	return len(s) + pieces*elemCost
}

// regexallCost bounds regexall(pattern, s): one match per element, each
// with one value per capture group, the groups' bytes at most the match's
// each. A pattern that does not compile costs nothing here (the function
// reports it).
func regexallCost(args []cty.Value, limit int) int {
	re, err := regexp.Compile(str(args[0]))
	if err != nil {
		return 0
	}
	s := str(args[1])
	per := re.NumSubexp() + 1
	n := 0
	countMatches(re, s, func(m int) bool {
		n += per * (elemCost + m)
		return n <= limit
	})
	return n
}

// countMatches calls f with the length of each successive match of re in
// s, the matches FindAllString finds, without keeping them (it walks them
// with ReplaceAllStringFunc, whose only allocation is one string at most
// as long as s); once f returns false it is not called again.
func countMatches(re *regexp.Regexp, s string, f func(n int) bool) {
	more := true
	re.ReplaceAllStringFunc(s, func(m string) string {
		if more {
			more = f(len(m))
		}
		return ""
	})
}

// chargeFirst wraps f so that pre's bound of its result is charged to b
// before f runs; once the budget is spent f does not run and its result
// is unknown (the budget's error is reported).
func chargeFirst(f function.Function, b *evalBudget, pre func(args []cty.Value, limit int) int) function.Function {
	return function.New(&function.Spec{
		Params: f.Params(), VarParam: f.VarParam(),
		Type: func(args []cty.Value) (cty.Type, error) { return f.ReturnTypeForValues(args) },
		Impl: func(args []cty.Value, ty cty.Type) (cty.Value, error) {
			if b.spent {
				return cty.UnknownVal(ty), nil
			}
			for _, a := range args {
				if !a.IsWhollyKnown() {
					return f.Call(args)
				}
			}
			if !b.chargeN(pre(args, max(b.left, 0))) {
				return cty.UnknownVal(ty), nil
			}
			return f.Call(args)
		},
	})
}

// chargeN takes n from the budget, and reports whether any is left.
func (b *evalBudget) chargeN(n int) bool {
	b.left -= n
	if b.left < 0 {
		b.spent = true
	}
	return !b.spent
}
