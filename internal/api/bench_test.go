package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

// BenchmarkAllocationsList lists 1000 allocation stubs from a local HTTP
// server: request building, the round trip and JSON decoding.
func BenchmarkAllocationsList(b *testing.B) {
	stubs := make([]*structs.AllocListStub, 1000)
	for i := range stubs {
		stubs[i] = &structs.AllocListStub{ID: fmt.Sprintf("%08x-0000-4000-8000-000000000000", i),
			JobID: "web", TaskGroup: "g", DesiredStatus: "run", ClientStatus: "running",
			TaskStates: map[string]*structs.TaskState{"t": {State: "running"}}}
	}
	body, err := json.Marshal(stubs)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Nomad-Index", "7")
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	c, err := NewClient(&Config{Address: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := c.Allocations().List(nil); err != nil {
			b.Fatal(err)
		}
	}
}
