package rule

import (
	"net/http/httptest"
	"testing"
)

// FuzzParse checks that Parse never panics, that a parsed rule keeps its
// text, and that Match on a parsed rule never panics. Seeds are added
// here and kept in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"Host(`web.minipot`)",
		"Host(`a`, `b`) && PathPrefix(`/foo`) || !Method(`POST`)",
		"HostRegexp(`{sub:[a-z]+}.example.com`)",
		"HostRegexp(`^[a-z]{2}\\.example$`)",
		"Path(`/users/{id:[0-9]{1,3}}`)",
		"(Header(`X`, `y`) || HeaderRegexp(`X`, `^a`)) && Query(`a=1`, `b`)",
		"QueryRegexp(`v`, `.`) && ClientIP(`10.0.0.0/8`, `::1`)",
		"Host(\"a\\\"b\")",
		"((((Host(`a`)))))",
		"Host(`a",
		"!",
	} {
		f.Add(s)
	}
	q := httptest.NewRequest("GET", "http://a.example:80/foo/1?a=1&b", nil)
	q.Header.Set("X", "y")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			return
		}
		if r.String() != s {
			t.Fatalf("String() = %q, want %q", r.String(), s)
		}
		r.Match(q)
	})
}
