package jobspec

import (
	"bytes"
	"fmt"
)

// Default bounds of a job file's source. hcl's parser recurses once (or
// more) per nesting level, so a deeply nested file could exhaust the
// stack: the depth is measured by a flat scan before hcl sees the text.
const (
	// DefaultMaxBytes bounds a job file's size: 1 MiB, hundreds of times
	// a large real job file.
	DefaultMaxBytes = 1 << 20
	// DefaultMaxDepth bounds how deeply blocks, brackets, parentheses,
	// strings and template interpolations nest. A job file nests about
	// 8 deep.
	DefaultMaxDepth = 100
)

// checkSource refuses a source over opts' size or depth bounds (zero
// meaning the defaults), with a diagnostic at the place the depth limit
// was passed.
func checkSource(filename string, src []byte, opts Options) error {
	maxBytes, maxDepth := opts.MaxBytes, opts.MaxDepth
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	if len(src) > maxBytes {
		return Diagnostics{{Filename: filename, Line: 1, Column: 1, Summary: "Job file too large",
			Detail: fmt.Sprintf("%d bytes is over the limit of %d bytes", len(src), maxBytes),
			Hint:   "limits.hcl_max_bytes in the server's agent configuration"}}
	}
	if off := NestingOverflow(src, maxDepth); off >= 0 {
		line := 1 + bytes.Count(src[:off], []byte("\n"))
		col := off - bytes.LastIndexByte(src[:off], '\n')
		return Diagnostics{{Filename: filename, Line: line, Column: col, Summary: "Job file nested too deeply",
			Detail: fmt.Sprintf("blocks, brackets, strings and interpolations nest deeper than the limit of %d levels", maxDepth),
			Hint:   "limits.hcl_max_depth in the server's agent configuration"}}
	}
	return nil
}

// scanFrame is one open nesting level of an HCL source.
type scanFrame struct {
	kind   byte   // 'c' bracket, 'i' template interpolation, 'q' quoted string, 'h' heredoc
	marker []byte // a heredoc's closing marker
}

// NestingOverflow scans HCL source without parsing it and returns the
// byte offset where nesting first goes deeper than limit, or -1. Braces,
// brackets and parentheses in code count, as do quoted strings, heredocs
// and the ${ } and %{ } interpolations inside them; comments and the
// literal text of strings do not. Malformed input is scanned on a best
// effort basis: the parser reports its errors afterwards.
func NestingOverflow(src []byte, limit int) int {
	var stack []scanFrame
	push := func(f scanFrame) bool {
		stack = append(stack, f)
		return len(stack) > limit
	}
	top := func() byte {
		if len(stack) == 0 {
			return 'c'
		}
		return stack[len(stack)-1].kind
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch top() {
		case 'c', 'i':
			switch {
			case c == '#' || c == '/' && i+1 < len(src) && src[i+1] == '/':
				i = lineEnd(src, i)
			case c == '/' && i+1 < len(src) && src[i+1] == '*':
				if j := bytes.Index(src[i+2:], []byte("*/")); j >= 0 {
					i += j + 3
				} else {
					i = len(src)
				}
			case c == '"':
				if push(scanFrame{kind: 'q'}) {
					return i
				}
			case c == '<' && i+1 < len(src) && src[i+1] == '<':
				if marker, next := heredocStart(src, i+2); marker != nil {
					if push(scanFrame{kind: 'h', marker: marker}) {
						return i
					}
					i = next - 1
				}
			case c == '{' || c == '[' || c == '(':
				if push(scanFrame{kind: 'c'}) {
					return i
				}
			case c == '}' || c == ']' || c == ')':
				if len(stack) > 0 {
					stack = stack[:len(stack)-1]
				}
			}
		case 'q':
			switch {
			case c == '\\':
				i++
			case c == '"' || c == '\n':
				stack = stack[:len(stack)-1]
			case (c == '$' || c == '%') && i+2 < len(src) && src[i+1] == c && src[i+2] == '{':
				i += 2
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == '{':
				if push(scanFrame{kind: 'i'}) {
					return i
				}
				i++
			}
		case 'h':
			f := stack[len(stack)-1]
			if i == 0 || src[i-1] == '\n' {
				end := lineEnd(src, i)
				if bytes.Equal(bytes.TrimSpace(src[i:end]), f.marker) {
					stack = stack[:len(stack)-1]
					i = end
					continue
				}
			}
			switch {
			case (c == '$' || c == '%') && i+2 < len(src) && src[i+1] == c && src[i+2] == '{':
				i += 2
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == '{':
				if push(scanFrame{kind: 'i'}) {
					return i
				}
				i++
			}
		}
	}
	return -1
}

// lineEnd returns the offset of the newline ending the line at i, or
// len(src).
func lineEnd(src []byte, i int) int {
	if j := bytes.IndexByte(src[i:], '\n'); j >= 0 {
		return i + j
	}
	return len(src)
}

// heredocStart reads a heredoc's marker after "<<" (with an optional "-")
// and returns it with the offset of the line after it, or nil when the
// text is not a heredoc introducer.
func heredocStart(src []byte, i int) ([]byte, int) {
	if i < len(src) && src[i] == '-' {
		i++
	}
	start := i
	for i < len(src) && (src[i] == '_' || src[i] == '-' || src[i] >= 'a' && src[i] <= 'z' ||
		src[i] >= 'A' && src[i] <= 'Z' || i > start && src[i] >= '0' && src[i] <= '9') {
		i++
	}
	if i == start {
		return nil, 0
	}
	marker := src[start:i]
	if i < len(src) && src[i] == '\r' {
		i++
	}
	if i >= len(src) || src[i] != '\n' {
		return nil, 0
	}
	return marker, i + 1
}
