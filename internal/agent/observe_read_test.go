package agent

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/acl/remote"
	"github.com/wharf-project/wharf/internal/api"
)

// TestAgentReadUnreachableServersIs503 proves that /v1/metrics and
// /v1/agent/monitor answer 503 naming the cause, not a denial, when no
// server can be asked about the token.
func TestAgentReadUnreachableServersIs503(t *testing.T) {
	tokens := remote.New(func(context.Context, func(*api.Client) error) error {
		return errors.New("dial tcp 10.0.0.1:4646: connect: connection refused")
	})
	h := agentRead(tokens, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the handler ran without a checked token")
	}))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/v1/metrics", nil)
	req.Header.Set("X-Nomad-Token", "some-secret")
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "cannot check the token with the servers") {
		t.Fatalf("answer = %d %q, want 503 naming the servers", rec.Code, rec.Body.String())
	}
}
