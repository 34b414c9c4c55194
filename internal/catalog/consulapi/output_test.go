package consulapi

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestCheckOutputCutKeepsUTF8 sends check output longer than the cap
// through every way the agent API takes it: the cut keeps at most
// maxOutput bytes and never splits a character.
func TestCheckOutputCutKeepsUTF8(t *testing.T) {
	f := newFixture(t)
	long := strings.Repeat("a", maxOutput-1) + "é and more"
	notes, _ := json.Marshal(long)
	if code, out, _ := f.do(t, "PUT", "/v1/agent/service/register",
		`{"Name":"db","Check":{"TTL":"1m","CheckID":"mine","Notes":`+string(notes)+`}}`); code != 200 {
		t.Fatal(code, out)
	}
	paths := []struct{ path, body string }{
		{"", ""}, // the registration's notes
		{"/v1/agent/check/warn/mine?note=" + url.QueryEscape(long), ""},
		{"/v1/agent/check/update/mine", `{"Status":"passing","Output":` + string(notes) + `}`},
	}
	for _, p := range paths {
		if p.path != "" {
			if code, out, _ := f.do(t, "PUT", p.path, p.body); code != 200 {
				t.Fatalf("%s: %d %s", p.path, code, out)
			}
		}
		out := f.store.Snapshot().ServiceRegistration("db").Checks[0].Output
		if len(out) > maxOutput || !utf8.ValidString(out) || out != strings.Repeat("a", maxOutput-1) {
			t.Fatalf("%q: output of %d bytes, valid UTF-8 %v, want the %d bytes before the é",
				p.path, len(out), utf8.ValidString(out), maxOutput-1)
		}
	}
}
