//go:build linux

package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"
	"github.com/wharf-project/wharf/internal/testkit/fakenode"
)

// TestReportRetriesRefusedUpdates: a node's report refused twice with
// 503 (servers busy or electing) is sent again until it is taken; one
// refused every time fails after reportAttempts.
func TestReportRetriesRefusedUpdates(t *testing.T) {
	defer func(w time.Duration) { reportRetryWait = w }(reportRetryWait)
	reportRetryWait = time.Millisecond
	for _, tc := range []struct {
		name    string
		refuse  int32
		wantErr bool
		calls   int32
	}{
		{"taken on the third attempt", 2, false, 3},
		{"never taken", 1 << 20, true, reportAttempts},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/v1/node/register":
					_ = json.NewEncoder(w).Encode(structs.NodeUpdateResponse{HeartbeatTTL: time.Hour})
				case "/v1/allocations/update":
					if calls.Add(1) <= tc.refuse {
						http.Error(w, "no etcd quorum: 0 of 3 members reachable", http.StatusServiceUnavailable)
						return
					}
					_, _ = w.Write([]byte("{}"))
				default:
					http.NotFound(w, r)
				}
			}))
			defer srv.Close()
			c, err := api.NewClient(&api.Config{Address: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			r, err := fakenode.Start(ctx, c, fakenode.NewNode("n", "dc1", "raw_exec"), fakenode.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Stop()
			err = updateWithRetry(ctx, r, []*structs.Allocation{{ID: "a", ClientStatus: structs.AllocClientStatusComplete}})
			if (err != nil) != tc.wantErr || calls.Load() != tc.calls {
				t.Fatalf("err %v after %d calls, want error %v after %d", err, calls.Load(), tc.wantErr, tc.calls)
			}
		})
	}
}
