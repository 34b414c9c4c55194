package rule

import (
	"fmt"
	"net/http/httptest"
	"testing"
)

// BenchmarkMatch1000Routers scans 1,000 compiled rules in order for a
// request that only the last one matches (the worst case of a linear
// route table): half Host rules, half Host && PathPrefix rules.
func BenchmarkMatch1000Routers(b *testing.B) {
	rules := make([]*Rule, 0, 1000)
	for i := range 1000 {
		text := fmt.Sprintf("Host(`svc-%d.minipot`)", i)
		if i%2 == 1 {
			text = fmt.Sprintf("Host(`example.com`) && PathPrefix(`/svc-%d/`)", i)
		}
		rules = append(rules, MustParse(text))
	}
	q := httptest.NewRequest("GET", "http://example.com/svc-999/x", nil)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		matched := -1
		for i, r := range rules {
			if r.Match(q) {
				matched = i
				break
			}
		}
		if matched != 999 {
			b.Fatalf("matched %d", matched)
		}
	}
}

// BenchmarkMatchOne measures one rule with a regexp and a header.
func BenchmarkMatchOne(b *testing.B) {
	r := MustParse("HostRegexp(`{sub:[a-z]+}.example.com`) && PathPrefix(`/api`) && Header(`X-Env`, `prod`)")
	q := httptest.NewRequest("GET", "http://api.example.com/api/x", nil)
	q.Header.Set("X-Env", "prod")
	b.ReportAllocs()
	for b.Loop() {
		if !r.Match(q) {
			b.Fatal("no match")
		}
	}
}

// BenchmarkParse measures compiling a typical rule.
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		MustParse("Host(`a.example`) && (PathPrefix(`/foo`) || Path(`/bar`)) && !Method(`DELETE`)")
	}
}
