package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/api"
)

func TestUnreachable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("dial tcp: connection refused"), true},
		{&api.Error{StatusCode: 503}, true},
		{&api.Error{StatusCode: 500}, true},
		{&api.Error{StatusCode: 429}, true},
		{&api.Error{StatusCode: 404}, false},
		{&api.Error{StatusCode: 400}, false},
	}
	for _, tt := range tests {
		if got := unreachable(tt.err); got != tt.want {
			t.Errorf("unreachable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// statusServer answers every request with code.
func statusServer(t *testing.T, code int) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(code)
		_, _ = w.Write([]byte("{}"))
	}))
	t.Cleanup(s.Close)
	return s
}

func TestServersFailOverAndStick(t *testing.T) {
	down := statusServer(t, http.StatusServiceUnavailable)
	up := statusServer(t, http.StatusOK)
	s, err := newServers([]string{down.URL, up.URL}, nil, "", discardLogger(), time.Millisecond, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	var used []string
	call := func(ac *api.Client) error {
		used = append(used, ac.Address())
		_, err := ac.Nodes().Heartbeat("n1")
		return err
	}
	if err := s.do(context.Background(), call); err != nil {
		t.Fatal(err)
	}
	if err := s.do(context.Background(), call); err != nil {
		t.Fatal(err)
	}
	if want := []string{down.URL, up.URL, up.URL}; strings.Join(used, " ") != strings.Join(want, " ") {
		t.Fatalf("servers used %v, want %v", used, want)
	}
}

func TestServersRetryLogsAndAnswers(t *testing.T) {
	logs := &lockedBuffer{}
	s, err := newServers([]string{"127.0.0.1:1"}, nil, "", slogTo(logs), time.Millisecond, 2*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = s.retry(ctx, "test", func(ac *api.Client) error { _, err := ac.Nodes().Heartbeat("n"); return err })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("retry returned %v", err)
	}
	if !strings.Contains(logs.String(), "no server reachable at 127.0.0.1:1, retrying in") {
		t.Fatalf("logs: %s", logs.String())
	}
	notFound := statusServer(t, http.StatusNotFound)
	s2, _ := newServers([]string{notFound.URL}, nil, "", discardLogger(), time.Millisecond, time.Millisecond)
	err = s2.retry(context.Background(), "test", func(ac *api.Client) error { _, err := ac.Nodes().Heartbeat("n"); return err })
	if !api.IsNotFound(err) {
		t.Fatalf("an answer was not returned as is: %v", err)
	}
}
