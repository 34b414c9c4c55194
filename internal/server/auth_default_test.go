package server

import (
	"net/http/httptest"
	"testing"
)

// TestAuthOfFailsClosed: a request that never passed through authorize
// (a handler reached some other way) may do nothing.
func TestAuthOfFailsClosed(t *testing.T) {
	ai := authOf(httptest.NewRequest("GET", "/v1/jobs", nil))
	if ai.acl.IsManagement() || ai.acl.AllowNamespaceOperation("default", "read-job") || ai.acl.AllowNodeRead() {
		t.Fatal("a request without an authorization check was allowed")
	}
}
