package catalog

import (
	"context"
	"fmt"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// RecheckJoins closes the race between the "belongs to tasks" check and
// a job's submission. The guarded write (UpsertServiceRegistrationsIf)
// guards the instances a request writes, not the jobs UsedByTasks read:
// a job declaring a name, submitted between the check on checked and the
// write at index, would let an outside instance join its tasks' pool.
// joins are the registrations written only because UsedByTasks said no
// on checked (exceptNode as given there). RecheckJoins reads the store at
// or after index; when the jobs changed since checked and one of joins
// now belongs to tasks, it removes every one of joins whose service does
// and returns the first such service's name ("" when none did).
func RecheckJoins(ctx context.Context, st Store, checked state.Snapshot, index uint64,
	joins []*structs.ServiceRegistration, exceptNode string) (string, error) {
	if len(joins) == 0 {
		return "", nil
	}
	now, err := snapshotAt(ctx, st, index)
	if err != nil {
		return "", err
	}
	if now.TableIndex(state.TableJobs) == checked.TableIndex(state.TableJobs) {
		return "", nil
	}
	var taken []string
	first := ""
	for _, reg := range joins {
		if UsedByTasks(now, reg.Namespace, reg.ServiceName, exceptNode) {
			taken = append(taken, reg.ID)
			if first == "" {
				first = reg.ServiceName
			}
		}
	}
	if len(taken) == 0 {
		return "", nil
	}
	if _, err := st.DeleteServiceRegistrations(context.WithoutCancel(ctx), taken); err != nil {
		return first, fmt.Errorf("remove %d instances that joined a service of tasks: %w", len(taken), err)
	}
	return first, nil
}

// snapshotAt returns a snapshot at index or later, waiting for the
// store's view to catch up with a write it acknowledged.
func snapshotAt(ctx context.Context, st Reader, index uint64) (state.Snapshot, error) {
	for {
		snap := st.Snapshot()
		if snap.Index() >= index {
			return snap, nil
		}
		if _, err := st.WaitForChange(ctx, snap.Index(), state.TableServices, state.TableJobs); err != nil {
			return nil, fmt.Errorf("wait for the store to reach index %d: %w", index, err)
		}
	}
}
