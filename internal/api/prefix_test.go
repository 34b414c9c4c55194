package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// prefixServer serves allocations, evaluations, nodes and jobs from a
// fixed list of IDs, honouring ?prefix=.
func prefixServer(t *testing.T, ids []string) *Client {
	t.Helper()
	mux := http.NewServeMux()
	list := func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Query().Get("prefix")
		var parts []string
		for _, id := range ids {
			if strings.HasPrefix(id, p) {
				parts = append(parts, `{"ID":"`+id+`"}`)
			}
		}
		_, _ = w.Write([]byte("[" + strings.Join(parts, ",") + "]"))
	}
	info := func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"ID":"` + r.PathValue("id") + `"}`))
	}
	for _, p := range []string{"allocation", "evaluation", "node", "job"} {
		mux.HandleFunc("GET /v1/"+p+"s", list)
		mux.HandleFunc("GET /v1/"+p+"/{id}", info)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := NewClient(&Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestResolve(t *testing.T) {
	ids := []string{"aaaa1111-0000", "aaaa2222-0000", "bbbb1111-0000", "web", "web2"}
	c := prefixServer(t, ids)
	tests := []struct {
		prefix    string
		want      string
		notFound  bool
		ambiguous int
	}{
		{prefix: "b", want: "bbbb1111-0000"},
		{prefix: "aaaa2", want: "aaaa2222-0000"},
		{prefix: "aaaa", ambiguous: 2},
		{prefix: "zz", notFound: true},
		{prefix: "web", want: "web"},
		{prefix: "web2", want: "web2"},
	}
	resolvers := map[string]func(string) (string, error){
		"allocs": func(p string) (string, error) {
			a, _, err := c.Allocations().Resolve(p, nil)
			if err != nil {
				return "", err
			}
			return a.ID, nil
		},
		"evals": func(p string) (string, error) {
			e, _, err := c.Evaluations().Resolve(p, nil)
			if err != nil {
				return "", err
			}
			return e.ID, nil
		},
		"nodes": func(p string) (string, error) {
			n, _, err := c.Nodes().Resolve(p, nil)
			if err != nil {
				return "", err
			}
			return n.ID, nil
		},
		"jobs": func(p string) (string, error) { return c.Jobs().ResolveID(p, nil) },
	}
	for kind, resolve := range resolvers {
		for _, tt := range tests {
			t.Run(kind+"/"+tt.prefix, func(t *testing.T) {
				got, err := resolve(tt.prefix)
				var amb *AmbiguousPrefixError
				switch {
				case tt.notFound:
					if !IsNotFound(err) {
						t.Fatalf("err = %v, want not found", err)
					}
				case tt.ambiguous > 0:
					if !errors.As(err, &amb) || len(amb.Matches) != tt.ambiguous {
						t.Fatalf("err = %v, want %d matches", err, tt.ambiguous)
					}
				default:
					if err != nil || got != tt.want {
						t.Fatalf("got %q, %v; want %q", got, err, tt.want)
					}
				}
			})
		}
	}
}

func TestResolveEmpty(t *testing.T) {
	c := prefixServer(t, nil)
	if _, _, err := c.Allocations().Resolve("", nil); err == nil {
		t.Fatal("want an error for an empty ID")
	}
}
