package memstore_test

import (
	"fmt"
	"testing"

	"github.com/wharf-project/wharf/internal/state/memstore"
	"github.com/wharf-project/wharf/internal/state/statetest"
)

func BenchmarkWaitForChangeWake(b *testing.B) {
	for _, waiters := range []int{1, 1000} {
		b.Run(fmt.Sprintf("waiters=%d", waiters), func(b *testing.B) {
			s := memstore.New()
			defer s.Close()
			statetest.BenchWake(b, s, waiters)
		})
	}
}
