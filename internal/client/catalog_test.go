package client

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// fakeServicesAPI serves wharf's /v1/services/register, /deregister and
// /node/:id from memory.
type fakeServicesAPI struct {
	mu   sync.Mutex
	regs map[string]*structs.ServiceRegistration
}

func (f *fakeServicesAPI) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /v1/services/register", func(w http.ResponseWriter, r *http.Request) {
		var req structs.ServiceRegisterRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		for _, s := range req.Services {
			f.regs[s.ID] = s
		}
		f.mu.Unlock()
	})
	mux.HandleFunc("PUT /v1/services/deregister", func(w http.ResponseWriter, r *http.Request) {
		var req structs.ServiceDeregisterRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		for _, id := range req.IDs {
			delete(f.regs, id)
		}
		f.mu.Unlock()
	})
	mux.HandleFunc("GET /v1/services/node/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		out := []*structs.ServiceRegistration{}
		for _, s := range f.regs {
			if s.NodeID == r.PathValue("id") {
				out = append(out, s)
			}
		}
		f.mu.Unlock()
		w.Header().Set("X-Nomad-Index", "1")
		_ = json.NewEncoder(w).Encode(out)
	})
	return mux
}

func TestCatalogAdapter(t *testing.T) {
	api := &fakeServicesAPI{regs: map[string]*structs.ServiceRegistration{}}
	srv := httptest.NewServer(api.handler())
	defer srv.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := newServers([]string{srv.URL}, nil, "global", log, time.Millisecond, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	cat := catalog{s}
	ctx := context.Background()
	regs := []*structs.ServiceRegistration{
		{ID: "_wharf-task-a1-web-web-http", ServiceName: "web", NodeID: "n1", AllocID: "a1", Task: "web", Port: 8080},
		{ID: "_wharf-task-a2-web-web-http", ServiceName: "web", NodeID: "n1", AllocID: "a2", Task: "web", Port: 8081},
	}
	if err := cat.Register(ctx, regs); err != nil {
		t.Fatal(err)
	}
	got, err := cat.ByNode(ctx, "n1")
	if err != nil || len(got) != 2 {
		t.Fatalf("ByNode = %d, %v", len(got), err)
	}
	if err := cat.Deregister(ctx, []string{regs[0].ID}); err != nil {
		t.Fatal(err)
	}
	if got, _ := cat.ByNode(ctx, "n1"); len(got) != 1 || got[0].ID != regs[1].ID {
		t.Fatalf("after deregister: %+v", got)
	}
}
