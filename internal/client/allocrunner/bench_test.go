package allocrunner

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/wharf-project/wharf/internal/client/state"
	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/fake"
	"github.com/wharf-project/wharf/internal/structs"
)

// BenchmarkAllocStartToRunning measures one allocation of one task from
// a new alloc runner to its task running (alloc dir, hooks, fake driver,
// state persisted to files with fsync), then its stop.
func BenchmarkAllocStartToRunning(b *testing.B) {
	root := b.TempDir()
	db, err := state.OpenFileDB(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	d := fake.New()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b.ReportAllocs()
	for b.Loop() {
		running := make(chan struct{}, 1)
		a := testAlloc(&structs.Task{Name: "web"})
		ar, err := New(Config{Alloc: a, DB: db, Drivers: map[string]drivers.Driver{fake.Name: d}, AllocRoot: root,
			Logger: log, OnUpdate: func(u *structs.Allocation) {
				if u.ClientStatus == structs.AllocClientStatusRunning {
					select {
					case running <- struct{}{}:
					default:
					}
				}
			}})
		if err != nil {
			b.Fatal(err)
		}
		go ar.Run(context.Background())
		<-running
		if err := ar.Destroy(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
