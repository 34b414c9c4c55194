package rule

import (
	"errors"
	"net/http"
	"strings"
)

// MaxLen is the longest rule Parse accepts, in bytes.
const MaxLen = 16 << 10

// maxDepth bounds the nesting of !, parentheses and operators.
const maxDepth = 100

// Rule is a compiled rule. It is immutable and safe for concurrent use.
type Rule struct {
	text string
	root node
}

// node is one compiled expression.
type node interface {
	match(r *http.Request) bool
}

// Parse compiles a rule. Errors are *Error values naming the position,
// e.g. "rule: 1:17: unknown matcher HostX".
func Parse(s string) (*Rule, error) {
	if len(s) > MaxLen {
		return nil, &Error{Line: 1, Column: 1, Err: errors.New("rule is too long")}
	}
	p := &parser{lex: lexer{src: s}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tokEOF {
		return nil, p.lex.errorf(0, "empty rule")
	}
	root, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokEOF {
		return nil, p.unexpected()
	}
	return &Rule{text: s, root: root}, nil
}

// MustParse is Parse that panics on error, for tests and constants.
func MustParse(s string) *Rule {
	r, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return r
}

// String returns the rule's text as given to Parse.
func (r *Rule) String() string { return r.text }

// Priority is Traefik's default priority of the rule: its length.
func (r *Rule) Priority() int { return len(r.text) }

// Match reports whether the request matches the rule. It does not
// allocate except for Query values that need unescaping.
func (r *Rule) Match(req *http.Request) bool { return r.root.match(req) }

// parser is a recursive-descent parser with one token of look-ahead.
type parser struct {
	lex lexer
	tok token
}

// advance reads the next token.
func (p *parser) advance() error {
	t, err := p.lex.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

// unexpected is the error for the current token.
func (p *parser) unexpected() error {
	if p.tok.kind == tokEOF {
		return p.lex.errorf(p.tok.pos, "unexpected end of rule")
	}
	return p.lex.errorf(p.tok.pos, "unexpected %s", p.tok.kind)
}

// or parses and ("||" and)*.
func (p *parser) or(depth int) (node, error) {
	left, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	for p.tok.kind == tokOr {
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		left = orNode{left, right}
	}
	return left, nil
}

// and parses unary ("&&" unary)*.
func (p *parser) and(depth int) (node, error) {
	left, err := p.unary(depth)
	if err != nil {
		return nil, err
	}
	for p.tok.kind == tokAnd {
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		left = andNode{left, right}
	}
	return left, nil
}

// unary parses "!" unary, "(" or ")" or a matcher.
func (p *parser) unary(depth int) (node, error) {
	if depth > maxDepth {
		return nil, p.lex.errorf(p.tok.pos, "rule is nested too deeply")
	}
	switch p.tok.kind {
	case tokNot:
		if err := p.advance(); err != nil {
			return nil, err
		}
		n, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return notNode{n}, nil
	case tokLParen:
		return p.group(depth)
	case tokIdent:
		return p.matcher()
	}
	return nil, p.unexpected()
}

// group parses "(" or ")".
func (p *parser) group(depth int) (node, error) {
	open := p.tok.pos
	if err := p.advance(); err != nil {
		return nil, err
	}
	n, err := p.or(depth + 1)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokRParen {
		if p.tok.kind == tokEOF {
			return nil, p.lex.errorf(open, "unclosed parenthesis")
		}
		return nil, p.unexpected()
	}
	return n, p.advance()
}

// matcher parses Name(args...) and compiles it.
func (p *parser) matcher() (node, error) {
	name, pos := p.tok.text, p.tok.pos
	spec, ok := matchers[strings.ToLower(name)]
	if !ok {
		return nil, p.lex.errorf(pos, "unknown matcher %s", name)
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind != tokLParen {
		return nil, p.lex.errorf(p.tok.pos, "expected \"(\" after %s", name)
	}
	args, err := p.args()
	if err != nil {
		return nil, err
	}
	if len(args) < spec.min || spec.max > 0 && len(args) > spec.max {
		return nil, p.lex.errorf(pos, "%s: %s", name, spec.arity())
	}
	n, err := spec.build(args)
	if err != nil {
		return nil, p.lex.errorf(pos, "%s: %w", name, err)
	}
	return n, nil
}

// args parses "(" string ("," string)* ")", the "(" being current.
func (p *parser) args() ([]string, error) {
	var args []string
	for {
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.kind == tokRParen && len(args) == 0 {
			break
		}
		if p.tok.kind != tokString {
			return nil, p.expected("string")
		}
		args = append(args, p.tok.text)
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.kind == tokRParen {
			break
		}
		if p.tok.kind != tokComma {
			return nil, p.expected(`"," or ")"`)
		}
	}
	return args, p.advance()
}

// expected is the error for a token other than what.
func (p *parser) expected(what string) error {
	if p.tok.kind == tokEOF {
		return p.lex.errorf(p.tok.pos, "expected %s, found end of rule", what)
	}
	return p.lex.errorf(p.tok.pos, "expected %s, found %s", what, p.tok.kind)
}

// andNode, orNode and notNode combine expressions.
type (
	andNode struct{ l, r node }
	orNode  struct{ l, r node }
	notNode struct{ n node }
)

func (n andNode) match(r *http.Request) bool { return n.l.match(r) && n.r.match(r) }
func (n orNode) match(r *http.Request) bool  { return n.l.match(r) || n.r.match(r) }
func (n notNode) match(r *http.Request) bool { return !n.n.match(r) }
