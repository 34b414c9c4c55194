package rule

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// req makes a request for target ("http://host/path?q") with headers as
// "Key: value" strings.
func req(t testing.TB, method, target string, headers ...string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		r.Header.Add(k, v)
	}
	return r
}

func TestMatch(t *testing.T) {
	tests := []struct {
		rule   string
		method string
		target string
		header []string
		want   bool
	}{
		{"Host(`web.minipot`)", "GET", "http://web.minipot/", nil, true},
		{"Host(`web.minipot`)", "GET", "http://WEB.Minipot:8080/x", nil, true},
		{"Host(`web.minipot`)", "GET", "http://web.minipot./", nil, true},
		{"Host(`web.minipot`)", "GET", "http://api.minipot/", nil, false},
		{"Host(`a.example`, `b.example`)", "GET", "http://b.example/", nil, true},
		{"Host(\"a.example\")", "GET", "http://a.example/", nil, true},
		{"Host(`::1`)", "GET", "http://[::1]:80/", nil, true},
		{"Host(`*.example.com`)", "GET", "http://x.example.com/", nil, true},
		{"Host(`*.example.com`)", "GET", "http://x.y.example.com/", nil, false},
		{"Host(`*.example.com`)", "GET", "http://example.com/", nil, false},
		{"HostRegexp(`{sub:[a-z]+}.example.com`)", "GET", "http://api.example.com/", nil, true},
		{"HostRegexp(`{sub:[a-z]+}.example.com`)", "GET", "http://api.example.com.evil/", nil, false},
		{"HostRegexp(`{sub:[a-z]+}.example.com`)", "GET", "http://api1.example.com/", nil, false},
		{"HostRegexp(`{sub}.example.com`)", "GET", "http://a-b.EXAMPLE.com:81/", nil, true},
		{"HostRegexp(`{sub}.example.com`)", "GET", "http://aXexample.com/", nil, false},
		{"HostRegexp(`^[a-z]+\\.example\\.com$`)", "GET", "http://api.example.com/", nil, true},
		{"HostRegexp(`^[a-z]{2}\\.example\\.com$`)", "GET", "http://ab.example.com/", nil, true},
		{"HostRegexp(`^[a-z]{2}\\.example\\.com$`)", "GET", "http://abc.example.com/", nil, false},
		{"Path(`/x`)", "GET", "http://h/x", nil, true},
		{"Path(`/x`)", "GET", "http://h/x/", nil, false},
		{"Path(`/users/{id:[0-9]+}`)", "GET", "http://h/users/42", nil, true},
		{"Path(`/users/{id:[0-9]+}`)", "GET", "http://h/users/42/x", nil, false},
		{"Path(`/users/{id}`)", "GET", "http://h/users/bob", nil, true},
		{"PathPrefix(`/foo`)", "GET", "http://h/foo", nil, true},
		{"PathPrefix(`/foo`)", "GET", "http://h/foo/bar", nil, true},
		{"PathPrefix(`/foo`)", "GET", "http://h/foobar", nil, true},
		{"PathPrefix(`/foo`)", "GET", "http://h/fo", nil, false},
		{"PathPrefix(`/api/{v:v[0-9]}/`)", "GET", "http://h/api/v2/users", nil, true},
		{"PathPrefix(`/api/{v:v[0-9]}/`)", "GET", "http://h/api/x2/users", nil, false},
		{"PathPrefix(`/a`, `/b`)", "GET", "http://h/b/c", nil, true},
		{"PathRegexp(`^/v[0-9]+/`)", "GET", "http://h/v12/x", nil, true},
		{"Method(`GET`)", "GET", "http://h/", nil, true},
		{"Method(`POST`, `PUT`)", "GET", "http://h/", nil, false},
		{"Method(`post`)", "POST", "http://h/", nil, true},
		{"Header(`X-Env`, `prod`)", "GET", "http://h/", []string{"x-env: prod"}, true},
		{"Header(`X-Env`, `prod`)", "GET", "http://h/", []string{"X-Env: dev", "X-Env: prod"}, true},
		{"Header(`X-Env`, `prod`)", "GET", "http://h/", []string{"X-Env: production"}, false},
		{"Headers(`X-Env`, `prod`)", "GET", "http://h/", []string{"X-Env: prod"}, true},
		{"HeaderRegexp(`X-Env`, `^pro`)", "GET", "http://h/", []string{"X-Env: production"}, true},
		{"HeaderRegexp(`X-Env`, `^pro`)", "GET", "http://h/", nil, false},
		{"Query(`a`, `1`)", "GET", "http://h/?b=2&a=1", nil, true},
		{"Query(`a`, `1`)", "GET", "http://h/?a=2", nil, false},
		{"Query(`a=1`)", "GET", "http://h/?a=1", nil, true},
		{"Query(`a=1`, `b=2`)", "GET", "http://h/?a=1", nil, false},
		{"Query(`a=1`, `b=2`)", "GET", "http://h/?b=2&a=1", nil, true},
		{"Query(`a`)", "GET", "http://h/?a", nil, true},
		{"Query(`a`)", "GET", "http://h/?ab=1", nil, false},
		{"Query(`a b`, `c d`)", "GET", "http://h/?a+b=c%20d", nil, true},
		{"QueryRegexp(`v`, `^[0-9]+$`)", "GET", "http://h/?v=12", nil, true},
		{"QueryRegexp(`v`, `^[0-9]+$`)", "GET", "http://h/?v=1x", nil, false},
		{"ClientIP(`192.0.2.0/24`)", "GET", "http://h/", nil, true}, // httptest uses 192.0.2.1
		{"ClientIP(`10.0.0.1`, `::1`)", "GET", "http://h/", nil, false},
		{"Host(`a`) && PathPrefix(`/foo`)", "GET", "http://a/foo/x", nil, true},
		{"Host(`a`) && PathPrefix(`/foo`)", "GET", "http://b/foo/x", nil, false},
		{"Host(`a`) || Host(`b`)", "GET", "http://b/", nil, true},
		{"!Host(`a`)", "GET", "http://b/", nil, true},
		{"!Host(`a`)", "GET", "http://a/", nil, false},
		{"!!Host(`a`)", "GET", "http://a/", nil, true},
		{"Host(`a`) || Host(`b`) && Path(`/x`)", "GET", "http://a/y", nil, true},    // && binds tighter
		{"(Host(`a`) || Host(`b`)) && Path(`/x`)", "GET", "http://a/y", nil, false}, // parentheses
		{"Host(`a`) && !(Method(`POST`) || Path(`/admin`))", "GET", "http://a/", nil, true},
		{"Host(`a`) && !(Method(`POST`) || Path(`/admin`))", "GET", "http://a/admin", nil, false},
		{"host(`a`)", "GET", "http://a/", nil, true},
		{"  Host( `a` ,`b` )\n&& Path(`/`) ", "GET", "http://a/", nil, true},
	}
	for _, tt := range tests {
		r, err := Parse(tt.rule)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.rule, err)
			continue
		}
		if got := r.Match(req(t, tt.method, tt.target, tt.header...)); got != tt.want {
			t.Errorf("%q on %s %s %v: got %v, want %v", tt.rule, tt.method, tt.target, tt.header, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ rule, want string }{
		{"", "rule: 1:1: empty rule"},
		{"   ", "rule: 1:1: empty rule"},
		{"Host(`a`) && HostX(`b`)", "rule: 1:14: unknown matcher HostX"},
		{"Host(`a`", "rule: 1:9: expected \",\" or \")\", found end of rule"},
		{"Host(`a)", "rule: 1:6: unterminated string"},
		{"Host('a')", "rule: 1:6: single quotes are not allowed"},
		{"Host(\"a)", "rule: 1:6: unterminated string"},
		{"Host(\"\\q\")", "rule: 1:6: bad string"},
		{"Host", "rule: 1:5: expected \"(\" after Host"},
		{"Host()", "rule: 1:1: Host: takes at least 1 argument(s)"},
		{"Header(`a`)", "rule: 1:1: Header: takes 2 argument(s)"},
		{"Host(`a`) & Host(`b`)", "rule: 1:11: expected \"&&\""},
		{"Host(`a`) | Host(`b`)", "rule: 1:11: expected \"||\""},
		{"Host(`a`) Host(`b`)", "rule: 1:11: unexpected matcher name"},
		{"Host(`a`) &&", "rule: 1:13: unexpected end of rule"},
		{"(Host(`a`)", "rule: 1:1: unclosed parenthesis"},
		{"Host(`a`))", "rule: 1:10: unexpected \")\""},
		{"Host(a)", "rule: 1:6: expected string, found matcher name"},
		{"Host(`a`,)", "rule: 1:10: expected string, found \")\""},
		{"Path(`x`)", "rule: 1:1: Path: path \"x\" must start with /"},
		{"HostRegexp(`(`)", "rule: 1:1: HostRegexp: bad regexp"},
		{"HostRegexp(`{sub:(}.a`)", "rule: 1:1: HostRegexp: bad regexp in variable \"sub\""},
		{"Path(`/{id:[0-9]+`)", "rule: 1:1: Path: unclosed variable"},
		{"ClientIP(`nope`)", "rule: 1:1: ClientIP: bad IP or CIDR \"nope\""},
		{"Host(`a`) &&\n  Pth(`/`)", "rule: 2:3: unknown matcher Pth"},
		{"Host(`a`) # x", "rule: 1:11: unexpected character '#'"},
		{strings.Repeat("!", 200) + "Host(`a`)", "nested too deeply"},
		{strings.Repeat("(", 200) + "Host(`a`)" + strings.Repeat(")", 200), "nested too deeply"},
		{"Host(`" + strings.Repeat("a", MaxLen) + "`)", "rule: 1:1: rule is too long"},
		{"HostRegexp(`" + strings.Repeat("a{1000}", 30) + "`)", "regexp is too large"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.rule)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want %q", tt.rule, err, tt.want)
			continue
		}
		var perr *Error
		if !errors.As(err, &perr) {
			t.Errorf("Parse(%q): error %T is not *Error", tt.rule, err)
		}
	}
}

func TestStringAndPriority(t *testing.T) {
	const text = "Host(`web.minipot`)"
	r := MustParse(text)
	if r.String() != text || r.Priority() != len(text) {
		t.Fatalf("String %q Priority %d", r.String(), r.Priority())
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	r := MustParse("(Host(`a.example`) || HostRegexp(`{s:[a-z]+}.example.com`)) && PathPrefix(`/api`) && " +
		"!Method(`DELETE`) && Header(`X-Env`, `prod`) && Query(`v`, `2`) && ClientIP(`192.0.2.0/24`) && Path(`/api/{id:[0-9]+}`)")
	q := req(t, "GET", "http://api.example.com:8080/api/42?v=2", "X-Env: prod")
	if !r.Match(q) {
		t.Fatal("rule does not match the request")
	}
	if n := testing.AllocsPerRun(100, func() { r.Match(q) }); n != 0 {
		t.Fatalf("Match allocates %v times per run", n)
	}
}

func TestHosts(t *testing.T) {
	tests := []struct {
		rule string
		want string // joined by ","; "-" for not ok
	}{
		{"Host(`A.example`)", "a.example"},
		{"Host(`a`, `b`) && PathPrefix(`/x`)", "a,b"},
		{"PathPrefix(`/x`) && Host(`a`)", "a"},
		{"Host(`a`) || Host(`b`) && Path(`/`)", "a,b"},
		{"Host(`a`) || Path(`/`)", "-"},
		{"!Host(`a`)", "-"},
		{"Host(`*.a`)", "-"},
		{"HostRegexp(`{x}.a`)", "-"},
		{"PathPrefix(`/x`)", "-"},
	}
	for _, tt := range tests {
		h, ok := MustParse(tt.rule).Hosts()
		got := strings.Join(h, ",")
		if !ok {
			got = "-"
		}
		if got != tt.want {
			t.Errorf("Hosts(%q) = %q, want %q", tt.rule, got, tt.want)
		}
	}
}
