package pot_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/driverstest"
	"github.com/wharf-project/wharf/internal/drivers/pot"
)

// script is a pot config running a shell script in the test image, on
// the host's network (the suite starts many jails at once).
func script(url, s string) map[string]any {
	return map[string]any{"image": url, "pot": "bb", "tag": "1", "network_mode": "host",
		"command": "/bin/sh", "args": []any{"-c", "'" + s + "'"}}
}

// conformanceConfigs returns the suite's kinds of task as jails.
func conformanceConfigs(url string) func(kind string) map[string]any {
	return func(kind string) map[string]any {
		switch kind {
		case driverstest.KindExitZero:
			return script(url, "exit 0")
		case driverstest.KindExitCode:
			return script(url, "exit 3")
		case driverstest.KindOutput:
			return script(url, `printf "driverstest stdout\n"; printf "driverstest stderr\n" >&2`)
		case driverstest.KindRun:
			return script(url, "echo ready; exec sleep 1000")
		case driverstest.KindIgnoreTerm:
			return script(url, `trap "" TERM; echo ready; while true; do sleep 1; done`)
		case driverstest.KindTree:
			return script(url, "sleep 1000 & echo ready; sleep 1000")
		case driverstest.KindSignal:
			return script(url, `trap "exit 7" HUP; sleep 1000 & echo ready; wait`)
		case driverstest.KindBadCommand:
			return map[string]any{"image": url, "pot": "bb", "tag": "1", "network_mode": "host", "command": "wharf-nosuch"}
		}
		panic("unknown kind " + kind)
	}
}

// TestConformance runs the drivers conformance suite against jails.
func TestConformance(t *testing.T) {
	needJails(t)
	url := registry(t)
	tn := newTestNet(t)
	driverstest.Run(t, driverstest.Harness{
		New: func(t *testing.T) drivers.Driver { return pot.New(options(t, tn)) },
		Reopen: func(_ *testing.T, old drivers.Driver) drivers.Driver {
			return pot.New(old.(*pot.Driver).Options())
		},
		Config:     conformanceConfigs(url),
		StartError: `pot: command "wharf-nosuch" is not found in image bb_1 (PATH ` + os.Getenv("PATH") + `)`,
		Logs:       true,
		Leftovers: func(t *testing.T, d drivers.Driver, cfg *drivers.TaskConfig) []string {
			out := driverstest.DescribeProcesses(driverstest.ProcessesOf(cfg))
			o := d.(*pot.Driver).Options()
			if _, err := os.Stat(filepath.Join(o.DataDir, "tasks")); err == nil {
				if ents, _ := os.ReadDir(filepath.Join(o.DataDir, "tasks")); len(ents) > 0 {
					out = append(out, "task dir "+ents[0].Name())
				}
			}
			return append(out, jailLeftovers(t, o)...)
		},
	})
}
