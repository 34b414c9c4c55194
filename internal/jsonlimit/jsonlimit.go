// Package jsonlimit bounds JSON documents before they are decoded: a
// byte scan measures how deeply objects and arrays nest, so a hostile body
// is refused with an error naming the limit instead of driving a decoder's
// recursion (or a later walk over the decoded value) into the ground.
//
// jsonlimit must never import anything outside the standard library; every
// package that decodes JSON from the network may use it.
package jsonlimit

import (
	"encoding/json"
	"fmt"
)

// DefaultMaxDepth is the nesting depth allowed when none is configured.
// A Nomad job nests about 10 deep; a task's driver config adds what the
// job's author writes.
const DefaultMaxDepth = 100

// DepthError is a document nested deeper than the limit.
type DepthError struct {
	// Limit is the maximum depth allowed.
	Limit int
	// Offset is the byte offset at which the limit was passed.
	Offset int
}

func (e *DepthError) Error() string {
	return fmt.Sprintf("JSON nested deeper than the limit of %d levels (at offset %d)", e.Limit, e.Offset)
}

// CheckDepth returns a *DepthError when objects and arrays in data nest
// deeper than limit (a top-level object is depth 1); limit <= 0 means
// DefaultMaxDepth. Brackets inside strings do not count. It does not
// check that data is valid JSON: the decoder does that afterwards.
func CheckDepth(data []byte, limit int) error {
	if limit <= 0 {
		limit = DefaultMaxDepth
	}
	depth, inString, escaped := 0, false, false
	for i, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > limit {
				return &DepthError{Limit: limit, Offset: i}
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

// Unmarshal checks data's depth against limit, then decodes it into v.
func Unmarshal(data []byte, v any, limit int) error {
	if err := CheckDepth(data, limit); err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}
