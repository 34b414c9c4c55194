package fake_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/fake"
)

// Example walks a task through the drivers.Driver contract as the
// client's task runner does: fingerprint, start, wait, stop, destroy.
// Every driver (raw_exec, pot) answers these calls the same way.
func Example() {
	ctx := context.Background()
	var d drivers.Driver = fake.New()
	fmt.Println("driver:", d.Name(), "healthy:", d.Fingerprint(ctx).Healthy)

	// A task that exits with code 3 after 10 ms.
	h, err := d.StartTask(ctx, &drivers.TaskConfig{
		ID: "alloc1/web", AllocID: "alloc1", TaskName: "web",
		Config: map[string]any{"run_for": "10ms", "exit_code": 3},
	})
	if err != nil {
		fmt.Println("start:", err)
		return
	}
	fmt.Println("started:", h.Config.ID, h.State)
	exit, err := d.WaitTask(ctx, h.Config.ID)
	if err != nil {
		fmt.Println("wait:", err)
		return
	}
	fmt.Println("exit code:", (<-exit).ExitCode)

	// A task that runs until it is stopped: SIGTERM ends it.
	h, _ = d.StartTask(ctx, &drivers.TaskConfig{ID: "alloc1/db", AllocID: "alloc1", TaskName: "db"})
	if err := d.StopTask(ctx, h.Config.ID, time.Second, "SIGTERM"); err != nil {
		fmt.Println("stop:", err)
	}
	st, _ := d.InspectTask(ctx, h.Config.ID)
	fmt.Println("after stop:", st.State)
	if err := d.DestroyTask(ctx, h.Config.ID, false); err != nil {
		fmt.Println("destroy:", err)
	}
	_, err = d.InspectTask(ctx, h.Config.ID)
	fmt.Println("after destroy:", errors.Is(err, drivers.ErrTaskNotFound))
	// Output:
	// driver: fake healthy: true
	// started: alloc1/web running
	// exit code: 3
	// after stop: exited
	// after destroy: true
}
