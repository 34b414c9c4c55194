package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

// templateFixture is a fake API with two passing instances and one
// critical one of service web, and a template listing the passing ones.
func templateFixture(t *testing.T) (*fakeAPI, string) {
	t.Helper()
	f := newFakeAPI(t)
	for i, st := range []string{structs.HealthPassing, structs.HealthPassing, structs.HealthCritical} {
		f.services = append(f.services, &structs.ServiceRegistration{
			ID: "web-" + string(rune('1'+i)), ServiceName: "web", Namespace: "default",
			Address: "10.0.0." + string(rune('1'+i)), Port: 8080,
			Checks: []*structs.CheckStatus{{ID: "c", Name: "c", Type: "tcp", Status: st}}})
	}
	src := filepath.Join(t.TempDir(), "web.tmpl")
	text := "{{ range service \"web\" }}server {{ .ID }} {{ .Address }}:{{ .Port }}\n{{ end }}"
	if err := os.WriteFile(src, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return f, src
}

func TestTemplateOnceWritesAndRunsCommand(t *testing.T) {
	f, src := templateFixture(t)
	dir := t.TempDir()
	dest, marker := filepath.Join(dir, "web.cfg"), filepath.Join(dir, "reloaded")
	res := f.run(t, nil, "template", "-once", "-template", src+":"+dest+":touch "+marker)
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.err)
	}
	b, err := os.ReadFile(dest)
	if err != nil {
		t.Fatal(err)
	}
	if want := "server web-1 10.0.0.1:8080\nserver web-2 10.0.0.2:8080\n"; string(b) != want {
		t.Errorf("rendered %q, want %q", b, want)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("command did not run: %v", err)
	}
	mustContain(t, res.err, "rendered", "command ran")
}

func TestTemplateDryPrints(t *testing.T) {
	f, src := templateFixture(t)
	dest := filepath.Join(t.TempDir(), "web.cfg")
	res := f.run(t, nil, "template", "-once", "-dry", "-template", src+":"+dest+":false")
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.err)
	}
	mustContain(t, res.out, "> "+dest+"\n", "server web-1 10.0.0.1:8080\n")
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Errorf("-dry wrote %s", dest)
	}
}

func TestTemplateErrors(t *testing.T) {
	f, src := templateFixture(t)
	bad := filepath.Join(t.TempDir(), "bad.tmpl")
	if err := os.WriteFile(bad, []byte("ok\n{{ servce \"web\" }}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "out")
	tests := []struct {
		name  string
		args  []string
		wants []string
	}{
		{"no template", []string{"template", "-once"}, []string{"-template SRC:DEST[:COMMAND] is required", "Run 'wharf template -help'"}},
		{"bad spec", []string{"template", "-template", "only-source"}, []string{"want source:dest[:command]"}},
		{"bad wait", []string{"template", "-wait", "5s:1s", "-template", src + ":" + dest}, []string{"want 0 <= min <= max"}},
		{"missing source", []string{"template", "-template", "/nonexistent.tmpl:" + dest}, []string{"read template", "no such file"}},
		{"parse error", []string{"template", "-once", "-template", bad + ":" + dest}, []string{"bad.tmpl:2:", `function "servce" not defined`}},
		{"command fails", []string{"template", "-once", "-template", src + ":" + dest + ":echo nope; exit 4"}, []string{"exit status 4", "nope"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.run(t, nil, tt.args...)
			if res.code != exitError {
				t.Fatalf("exit %d, want 1; stderr:\n%s", res.code, res.err)
			}
			mustContain(t, res.err, tt.wants...)
		})
	}
}
