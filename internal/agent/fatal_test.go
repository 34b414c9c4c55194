package agent

import (
	"net/http/httptest"
	"testing"
)

func TestWritesAreToldFromReads(t *testing.T) {
	for _, tc := range []struct {
		method, path string
		want         bool
	}{
		{"GET", "/v1/jobs", false}, {"HEAD", "/v1/jobs", false}, {"OPTIONS", "/v1/jobs", false},
		{"PUT", "/v1/jobs", true}, {"POST", "/v1/jobs", true}, {"DELETE", "/v1/job/x", true},
		{"PUT", "/v1/node/abc/heartbeat", false}, {"PUT", "/v1/node/abc/eligibility", true},
		{"PUT", "/v1/agent/service/register", true},
	} {
		if got := writes(httptest.NewRequest(tc.method, tc.path, nil)); got != tc.want {
			t.Errorf("%s %s: writes %v, want %v", tc.method, tc.path, got, tc.want)
		}
	}
}
