package apidoc

import (
	"slices"
	"strings"
	"testing"
)

const doc = `# HTTP API

| method | path | what |
|---|---|---|
| GET | /v1/outside | not in a section |

## Nomad-shaped API (:4646)

| method | path | what |
|---|---|---|
| GET | /v1/jobs | list |
| PUT, POST | /v1/job/:id | register |
| DELETE | ` + "`/v1/job/{id}`" + ` | stop |

| name | default |
|---|---|
| GET | no path here |

## Consul-shaped API (:8500)

| method | path | what |
|---|---|---|
| GET | /v1/catalog/services | catalog |
`

func TestRoutes(t *testing.T) {
	tests := []struct {
		name, doc, heading string
		want               []string
		wantErr            string
	}{
		{name: "nomad", doc: strings.Replace(doc, "| GET | no path here |\n", "", 1),
			heading: "Nomad-shaped API",
			want:    []string{"DELETE /v1/job/{}", "GET /v1/jobs", "POST /v1/job/{}", "PUT /v1/job/{}"}},
		{name: "consul", doc: doc, heading: "Consul-shaped API", want: []string{"GET /v1/catalog/services"}},
		{name: "a route row without one path", doc: doc, heading: "Nomad-shaped API", wantErr: "is not one /v1/ path"},
		{name: "two paths in a cell", heading: "A",
			doc: "## A\n| GET | /v1/a, /v1/b | x |\n", wantErr: `"/v1/a, /v1/b"`},
		{name: "no such section", doc: doc, heading: "Other", wantErr: "no section"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Routes([]byte(tt.doc), tt.heading)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDiff(t *testing.T) {
	served := []string{Normalize("GET", "/v1/job/{id}"), Normalize("GET", "/v1/agent/self")}
	documented := []string{Normalize("GET", "/v1/job/:id"), Normalize("GET", "/v1/gone")}
	undoc, unserved := Diff(served, documented)
	if !slices.Equal(undoc, []string{"GET /v1/agent/self"}) || !slices.Equal(unserved, []string{"GET /v1/gone"}) {
		t.Errorf("Diff = %q, %q", undoc, unserved)
	}
}
