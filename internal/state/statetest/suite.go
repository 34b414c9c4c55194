// Package statetest is the conformance suite every state.Store passes: the
// same tests run against the in-memory store and the etcd store, so the
// two stay twins. It also offers fixtures (NewJob, NewNode, NewAlloc,
// NewEval) for tests elsewhere.
//
// statetest must never import internal/state/memstore,
// internal/state/etcdstore, internal/server, internal/scheduler,
// internal/client or internal/api: neither a store implementation nor any
// package above state.
package statetest

import (
	"context"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/state"
)

// NewStoreFunc returns a new, empty store; the suite closes it (and a
// second Close must be harmless).
type NewStoreFunc func(t *testing.T) state.Store

// testCase is one conformance test.
type testCase struct {
	name string
	fn   func(t *testing.T, e *env)
}

// Run runs the whole suite, each test on a fresh store.
func Run(t *testing.T, newStore NewStoreFunc) {
	t.Helper()
	var all []testCase
	for _, group := range [][]testCase{jobTests, evalTests, nodeTests, allocTests, planTests, conflictTests, waitTests, serviceTests, aclTests, gcTests} {
		all = append(all, group...)
	}
	for _, tc := range all {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			t.Cleanup(func() { _ = s.Close() })
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			t.Cleanup(cancel)
			tc.fn(t, &env{t: t, s: s, ctx: ctx})
		})
	}
}
