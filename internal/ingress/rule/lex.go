package rule

import (
	"fmt"
	"strconv"
	"strings"
)

// tokenKind is the kind of a lexical token.
type tokenKind int

const (
	tokEOF tokenKind = iota
	tokIdent
	tokString
	tokLParen
	tokRParen
	tokComma
	tokAnd
	tokOr
	tokNot
)

// String names a token kind for error messages.
func (k tokenKind) String() string {
	switch k {
	case tokEOF:
		return "end of rule"
	case tokIdent:
		return "matcher name"
	case tokString:
		return "string"
	case tokLParen:
		return `"("`
	case tokRParen:
		return `")"`
	case tokComma:
		return `","`
	case tokAnd:
		return `"&&"`
	case tokOr:
		return `"||"`
	default:
		return `"!"`
	}
}

// token is one lexical token and its byte offset in the rule.
type token struct {
	kind tokenKind
	text string // identifier, or the unquoted string value
	pos  int
}

// lexer splits a rule into tokens.
type lexer struct {
	src string
	pos int
}

// next returns the next token, or an error naming the position.
func (l *lexer) next() (token, error) {
	for l.pos < len(l.src) && isSpace(l.src[l.pos]) {
		l.pos++
	}
	start := l.pos
	if l.pos >= len(l.src) {
		return token{kind: tokEOF, pos: start}, nil
	}
	c := l.src[l.pos]
	switch {
	case c == '(':
		l.pos++
		return token{kind: tokLParen, pos: start}, nil
	case c == ')':
		l.pos++
		return token{kind: tokRParen, pos: start}, nil
	case c == ',':
		l.pos++
		return token{kind: tokComma, pos: start}, nil
	case c == '!':
		l.pos++
		return token{kind: tokNot, pos: start}, nil
	case c == '&' || c == '|':
		return l.operator(c)
	case c == '`':
		return l.rawString()
	case c == '"':
		return l.quotedString()
	case isLetter(c):
		for l.pos < len(l.src) && (isLetter(l.src[l.pos]) || isDigit(l.src[l.pos])) {
			l.pos++
		}
		return token{kind: tokIdent, text: l.src[start:l.pos], pos: start}, nil
	}
	if c == '\'' {
		return token{}, l.errorf(start, "single quotes are not allowed; use backquotes or double quotes")
	}
	return token{}, l.errorf(start, "unexpected character %q", c)
}

// operator reads && or ||.
func (l *lexer) operator(c byte) (token, error) {
	start := l.pos
	if l.pos+1 >= len(l.src) || l.src[l.pos+1] != c {
		return token{}, l.errorf(start, "expected %q", string([]byte{c, c}))
	}
	l.pos += 2
	if c == '&' {
		return token{kind: tokAnd, pos: start}, nil
	}
	return token{kind: tokOr, pos: start}, nil
}

// rawString reads a backquoted string (no escapes).
func (l *lexer) rawString() (token, error) {
	start := l.pos
	end := strings.IndexByte(l.src[start+1:], '`')
	if end < 0 {
		return token{}, l.errorf(start, "unterminated string")
	}
	l.pos = start + 1 + end + 1
	return token{kind: tokString, text: l.src[start+1 : start+1+end], pos: start}, nil
}

// quotedString reads a double-quoted Go string literal.
func (l *lexer) quotedString() (token, error) {
	start := l.pos
	i := start + 1
	for i < len(l.src) && l.src[i] != '"' {
		if l.src[i] == '\\' {
			i++
		}
		i++
	}
	if i >= len(l.src) {
		return token{}, l.errorf(start, "unterminated string")
	}
	s, err := strconv.Unquote(l.src[start : i+1])
	if err != nil {
		return token{}, l.errorf(start, "bad string: %w", err)
	}
	l.pos = i + 1
	return token{kind: tokString, text: s, pos: start}, nil
}

// errorf makes an error naming line:column of byte offset pos.
func (l *lexer) errorf(pos int, format string, args ...any) error {
	line, col := 1, 1
	for i := 0; i < pos && i < len(l.src); i++ {
		if l.src[i] == '\n' {
			line++
			col = 1
			continue
		}
		col++
	}
	return &Error{Line: line, Column: col, Err: fmt.Errorf(format, args...)}
}

// Error is a parse error at a position of the rule (1-based, in bytes).
type Error struct {
	Line, Column int
	Err          error
}

// Error formats the error as "rule: line:col: reason".
func (e *Error) Error() string {
	return fmt.Sprintf("rule: %d:%d: %v", e.Line, e.Column, e.Err)
}

// Unwrap returns the reason.
func (e *Error) Unwrap() error { return e.Err }

func isSpace(c byte) bool  { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
