package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wharf-project/wharf/internal/state/memstore"
	"github.com/wharf-project/wharf/internal/structs"
)

// BenchmarkACLCheck measures what the ACL check adds to one API request:
// GET /v1/job/:id answered in-process, with ACLs off, with a management
// token and with a client token whose policy grants read-job (both
// resolved from the store and the compiled-ACL cache on every request).
//
//	go test -run '^$' -bench BenchmarkACLCheck -benchmem ./internal/server
func BenchmarkACLCheck(b *testing.B) {
	for _, mode := range []string{"off", "management", "client"} {
		b.Run(mode, func(b *testing.B) {
			ctx := context.Background()
			st := memstore.New()
			defer st.Close()
			srv, err := New(Config{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), ACLEnabled: mode != "off"})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := st.RegisterJob(ctx, testJob("web", 1, "raw_exec"), nil, nil); err != nil {
				b.Fatal(err)
			}
			secret := structs.GenerateUUID()
			if mode != "off" {
				tok := &structs.ACLToken{AccessorID: structs.GenerateUUID(), SecretHash: structs.HashSecret(secret),
					Name: mode, Type: structs.ACLManagementToken}
				if _, err := st.BootstrapACL(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
			if mode == "client" {
				if _, err := st.UpsertACLPolicies(ctx, []*structs.ACLPolicy{{Name: "read", Rules: `namespace "default" { policy = "read" }`}}); err != nil {
					b.Fatal(err)
				}
				secret = structs.GenerateUUID()
				tok := &structs.ACLToken{AccessorID: structs.GenerateUUID(), SecretHash: structs.HashSecret(secret),
					Name: "reader", Type: structs.ACLClientToken, Policies: []string{"read"}}
				if _, err := st.UpsertACLTokens(ctx, []*structs.ACLToken{tok}); err != nil {
					b.Fatal(err)
				}
			}
			h := srv.Handler()
			req := httptest.NewRequest("GET", "/v1/job/web", nil)
			req.Header.Set(TokenHeader, secret)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
