package rule

import (
	"fmt"
	"regexp"
	"strings"
)

// isTemplate reports whether s uses Traefik v2's "{name}" or
// "{name:regexp}" variables: a "{" followed by an identifier and ":" or
// "}". A v3 regexp such as "a{2}" is not a template.
func isTemplate(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '{' || i+1 >= len(s) || !isLetter(s[i+1]) {
			continue
		}
		j := i + 1
		for j < len(s) && (isLetter(s[j]) || isDigit(s[j])) {
			j++
		}
		if j < len(s) && (s[j] == ':' || s[j] == '}') {
			return true
		}
	}
	return false
}

// templateRegexp turns a v2 template into an unanchored regexp: literal
// text is quoted, "{name}" becomes (?:def), "{name:re}" becomes (?:re).
func templateRegexp(s, def string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); {
		open := strings.IndexByte(s[i:], '{')
		if open < 0 {
			b.WriteString(regexp.QuoteMeta(s[i:]))
			break
		}
		b.WriteString(regexp.QuoteMeta(s[i : i+open]))
		start := i + open
		end, err := closingBrace(s, start)
		if err != nil {
			return "", err
		}
		name, expr, found := strings.Cut(s[start+1:end], ":")
		if name == "" || !isIdent(name) {
			return "", fmt.Errorf("bad variable %q in %q", s[start:end+1], s)
		}
		if !found {
			expr = def
		}
		if _, err := compile(expr); err != nil {
			return "", fmt.Errorf("bad regexp in variable %q: %w", name, err)
		}
		b.WriteString("(?:" + expr + ")")
		i = end + 1
	}
	return b.String(), nil
}

// closingBrace finds the "}" closing the "{" at start, allowing nested
// braces such as {id:[0-9]{2}}.
func closingBrace(s string, start int) (int, error) {
	depth := 0
	for j := start; j < len(s); j++ {
		switch s[j] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return j, nil
			}
		}
	}
	return 0, fmt.Errorf("unclosed variable in %q", s)
}

// isIdent reports whether s is a letter followed by letters and digits.
func isIdent(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) && (i == 0 || !isDigit(s[i])) {
			return false
		}
	}
	return s != ""
}
