package tmpl

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"
)

// renderOnce renders text once against c and returns the output file.
func renderOnce(t *testing.T, c *api.Client, text string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	src, dest := filepath.Join(dir, "in.tmpl"), filepath.Join(dir, "out")
	if err := os.WriteFile(src, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := New(Options{Client: c, Templates: []Spec{{Source: src, Dest: dest}}, Once: true})
	if err != nil {
		return "", err
	}
	if err := r.Run(context.Background()); err != nil {
		return "", err
	}
	b, err := os.ReadFile(dest)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), nil
}

func catalogFixture(t *testing.T) *fakeCatalog {
	t.Helper()
	f := newFakeCatalog(t)
	f.register(
		reg("web-1", "web", "10.0.0.1", 8080, structs.HealthPassing, "blue", "http"),
		reg("web-2", "web", "10.0.0.2", 8081, structs.HealthCritical, "green"),
		reg("web-3", "web", "10.0.0.3", 80, structs.HealthWarning, "green", "http"),
		reg("db-1", "db", "10.0.0.9", 5432, structs.HealthPassing),
	)
	f.nodes = []*structs.NodeListStub{{ID: "n1", Name: "alpha", Address: "10.0.0.1", Status: "ready"}}
	return f
}

func TestTemplateFunctions(t *testing.T) {
	c := catalogFixture(t).client(t)
	tests := []struct {
		name, text, want string
	}{
		{"services", `{{ range services }}{{ .Name }}[{{ .Tags | join "," }}] {{ end }}`, "db[] web[blue,green,http] "},
		{"service passing", `{{ range service "web" }}{{ .ID }}={{ .Address }}:{{ .Port }}/{{ .Health }} {{ end }}`,
			"web-1=10.0.0.1:8080/passing "},
		{"service any", `{{ range service "web|any" }}{{ .ID }} {{ end }}`, "web-1 web-2 web-3 "},
		{"service states", `{{ range service "web|passing,warning" }}{{ .ID }} {{ end }}`, "web-1 web-3 "},
		{"service tag", `{{ range service "green.web|any" }}{{ .ID }} {{ end }}`, "web-2 web-3 "},
		{"service tag passing", `{{ range service "green.web" }}{{ .ID }} {{ end }}`, ""},
		{"service fields", `{{ range service "db" }}{{ .Name }} {{ .Node }} {{ .Datacenter }} {{ .JobID }} {{ .Namespace }}{{ end }}`,
			"db node-db-1 dc1 db default"},
		{"unknown service", `{{ range service "nope" }}x{{ else }}none{{ end }}`, "none"},
		{"nodes", `{{ range nodes }}{{ .Name }}@{{ .Address }} {{ .Status }}{{ end }}`, "alpha@10.0.0.1 ready"},
		{"sortBy port", `{{ range service "web|any" | sortBy "Port" }}{{ .Port }} {{ end }}`, "80 8080 8081 "},
		{"sortBy name", `{{ range services | sortBy "Name" }}{{ .Name }} {{ end }}`, "db web "},
		{"byTag", `{{ range $tag, $in := service "web|any" | byTag }}{{ $tag }}={{ len $in }} {{ end }}`,
			"blue=1 green=2 http=2 "},
		{"contains", `{{ range service "web|any" }}{{ if .Tags | contains "http" }}{{ .ID }} {{ end }}{{ end }}`,
			"web-1 web-3 "},
		{"strings", `{{ toUpper "a" }}{{ toLower "B" }}{{ trimSpace "  c " }}{{ replaceAll "-" "_" "d-e" }}{{ split "," "f,g" | join "+" }}`,
			"Abcd_ef+g"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := renderOnce(t, c, tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTemplateEnv(t *testing.T) {
	t.Setenv("TMPL_TEST_PORT", "9000")
	c := newFakeCatalog(t).client(t)
	got, err := renderOnce(t, c, `{{ env "TMPL_TEST_PORT" }} {{ or (env "TMPL_TEST_UNSET") "dflt" }}`)
	if err != nil || got != "9000 dflt" {
		t.Fatalf("got %q, %v", got, err)
	}
}

// TestTemplateErrorsNameFileAndLine checks that parse and execution errors
// say where in the template they are.
func TestTemplateErrorsNameFileAndLine(t *testing.T) {
	c := catalogFixture(t).client(t)
	tests := []struct {
		name, text string
		wants      []string
	}{
		{"unknown function", "a\n{{ nope }}", []string{"in.tmpl:2:", `function "nope" not defined`}},
		{"syntax", "a\nb\n{{ range services }}", []string{"in.tmpl:3:", "unexpected EOF"}},
		{"bad state", "\n{{ service \"web|bogus\" }}", []string{"in.tmpl:2:", `unknown health state "bogus"`}},
		{"bad query", `{{ service ".web" }}`, []string{"in.tmpl:1:", "want [tag.]name"}},
		{"sortBy field", `{{ services | sortBy "Nope" }}`, []string{"in.tmpl:1:", "has no field Nope"}},
		{"missing field", `{{ range services }}{{ .Nope }}{{ end }}`, []string{"in.tmpl:1:", "can't evaluate field Nope"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := renderOnce(t, c, tt.text)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestUnreachableCatalogFailsOnce checks that -once reports a catalog it
// cannot read, naming the read.
func TestUnreachableCatalogFailsOnce(t *testing.T) {
	f := catalogFixture(t)
	f.setFailing(true)
	_, err := renderOnce(t, f.client(t), `{{ service "web" }}`)
	if err == nil || !strings.Contains(err.Error(), `reading service "web"`) || !strings.Contains(err.Error(), "catalog unavailable") {
		t.Fatalf("error = %v", err)
	}
}

func TestParseServiceQuery(t *testing.T) {
	tests := []struct {
		in       string
		name     string
		tag      string
		states   []string // nil: any
		wantFail bool
	}{
		{in: "web", name: "web", states: []string{"passing"}},
		{in: "web|any", name: "web"},
		{in: "blue.web", name: "web", tag: "blue", states: []string{"passing"}},
		{in: "v1.2.web|warning, critical", name: "web", tag: "v1.2", states: []string{"critical", "warning"}},
		{in: "", wantFail: true},
		{in: "web.", wantFail: true},
		{in: ".web", wantFail: true},
		{in: "web|sick", wantFail: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			sq, err := parseServiceQuery(tt.in)
			if tt.wantFail {
				if err == nil {
					t.Fatalf("parsed %+v", sq)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var states []string
			for s := range sq.states {
				states = append(states, s)
			}
			if sq.name != tt.name || sq.tag != tt.tag || strings.Join(slices.Sorted(slices.Values(states)), ",") != strings.Join(tt.states, ",") {
				t.Errorf("got %+v", sq)
			}
		})
	}
}
