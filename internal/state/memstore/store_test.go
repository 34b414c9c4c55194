package memstore_test

import (
	"sync/atomic"
	"testing"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/memstore"
	"github.com/wharf-project/wharf/internal/state/statetest"
)

func TestConformance(t *testing.T) {
	statetest.Run(t, func(t *testing.T) state.Store { return memstore.New() })
}

func TestFenceConformance(t *testing.T) {
	statetest.RunFence(t, func(t *testing.T) state.Store { return memstore.New() },
		func(t *testing.T, _ state.Store) (state.Fence, func()) {
			var lost atomic.Bool
			return state.Fence{Held: func() bool { return !lost.Load() }}, func() { lost.Store(true) }
		})
}
