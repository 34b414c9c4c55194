package rule

import (
	"errors"
	"regexp"
	"regexp/syntax"
)

// maxRegexpSize bounds the expanded size of a rule's regexp (counted
// roughly in instructions), so that a rule like a{1000}a{1000}... cannot
// make Parse or Match slow.
const maxRegexpSize = 20000

// errRegexpTooLarge is returned for regexps over maxRegexpSize.
var errRegexpTooLarge = errors.New("regexp is too large")

// compile compiles a regexp after checking its expanded size.
func compile(expr string) (*regexp.Regexp, error) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil, err
	}
	if regexpSize(re, 0) > maxRegexpSize {
		return nil, errRegexpTooLarge
	}
	return regexp.Compile(expr)
}

// regexpSize estimates the instructions re expands to; it stops counting
// past maxRegexpSize.
func regexpSize(re *syntax.Regexp, depth int) int {
	if depth > 1000 {
		return maxRegexpSize + 1
	}
	n := 1
	for _, sub := range re.Sub {
		n += regexpSize(sub, depth+1)
		if n > maxRegexpSize {
			return n
		}
	}
	if re.Op == syntax.OpRepeat {
		times := re.Max
		if times < 0 {
			times = re.Min + 1
		}
		n *= max(times, 1)
	}
	return n
}
