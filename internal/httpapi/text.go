package httpapi

import "unicode/utf8"

// CutUTF8 returns s cut to at most n bytes without splitting a UTF-8
// character: a character that would straddle the cut is left out whole.
// Bytes that are not valid UTF-8 are cut like any other byte, and a cut
// never goes back more than one character's length, so invalid input
// still keeps close to n bytes.
func CutUTF8(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	for back := 0; back < utf8.UTFMax && back <= n; back++ {
		if utf8.RuneStart(s[n-back]) {
			return s[:n-back]
		}
	}
	return s[:n]
}
