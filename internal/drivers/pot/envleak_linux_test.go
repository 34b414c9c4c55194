package pot_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/pot"
)

// TestExecEnvIsTheJails: a command run in a jail (an exec session, a
// script check), on pipes or on a terminal, sees the jail's environment
// and nothing of the process that runs the driver, whose variables (an
// operator's secret, its PATH, its HOME) the runc invocation carries.
func TestExecEnvIsTheJails(t *testing.T) {
	needJails(t)
	t.Setenv("WHARF_OPERATOR_SECRET", "leak-7d2e")
	t.Setenv("HOME", "/root/agent-home")
	o := options(t, newTestNet(t))
	d := pot.New(o)
	cfg := taskConfig(t, registry(t), map[string]any{"command": "/bin/sleep", "args": []any{"1000"}})
	cfg.Env["JOB_VAR"] = "from-the-job"
	if _, err := d.StartTask(ctx(t), cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.DestroyTask(ctx(t), cfg.ID, true) })
	for _, tty := range []bool{false, true} {
		var out bytes.Buffer
		if _, err := d.ExecTask(ctx(t), cfg.ID, &drivers.ExecOptions{Command: []string{"/bin/sh", "-c", "env; echo ENV-DONE"},
			Tty: tty, Stdout: &out, Stderr: &out}); err != nil {
			t.Fatal(err)
		}
		env := out.String()
		if !strings.Contains(env, "ENV-DONE") {
			t.Fatalf("tty %v: no output: %q", tty, env)
		}
		for _, leak := range []string{"leak-7d2e", "agent-home"} {
			if strings.Contains(env, leak) {
				t.Errorf("tty %v: the exec session inherited %q:\n%s", tty, leak, env)
			}
		}
		if !strings.Contains(env, "JOB_VAR=from-the-job") {
			t.Errorf("tty %v: the exec session lacks the task's variable:\n%s", tty, env)
		}
	}
}
