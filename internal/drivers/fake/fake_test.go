package fake_test

import (
	"testing"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/driverstest"
	"github.com/wharf-project/wharf/internal/drivers/fake"
)

// startError is what the fake's bad command fails with: the text a real
// driver gets from the OS.
const startError = `exec: "nosuch": executable file not found in $PATH`

func TestConformance(t *testing.T) {
	driverstest.Run(t, driverstest.Harness{
		New: func(*testing.T) drivers.Driver { return fake.New() },
		// Fake tasks live in the Driver value: a restarted agent is
		// modelled by the same value.
		Reopen:     func(_ *testing.T, old drivers.Driver) drivers.Driver { return old },
		Config:     configFor,
		StartError: startError,
	})
}

// configFor returns the fake's config for each kind of task.
func configFor(kind string) map[string]any {
	switch kind {
	case driverstest.KindExitZero, driverstest.KindOutput:
		return map[string]any{"run_for": "1ms"}
	case driverstest.KindExitCode:
		return map[string]any{"run_for": "1ms", "exit_code": 3}
	case driverstest.KindIgnoreTerm:
		return map[string]any{"ignore_signals": true}
	case driverstest.KindSignal:
		return map[string]any{"exit_on_signal": "SIGHUP", "exit_code": 7}
	case driverstest.KindBadCommand:
		return map[string]any{"start_error": startError}
	}
	return map[string]any{} // run, tree: forever
}
