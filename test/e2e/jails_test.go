package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// jailJob writes a one-task pot job on the hello-web image whose task
// runs the shell script script (no single quotes in it), with extra lines in its config block and
// the task block, and returns the job file's path.
func (e *potEnv) jailJob(t *testing.T, name, script, config, task string) string {
	t.Helper()
	job := fmt.Sprintf(`job %q {
  datacenters = ["minipot"]
  type = "service"
  group "g" {
    network {
      port "http" {}
    }
    task "t" {
      driver = "pot"
      config {
        image = %q
        pot = "hello-web"
        tag = "1.0"
        command = "/bin/sh"
        args = ["-c", %q]
        port_map = { http = "8080" }
%s
      }
%s
      resources {
        cpu = 100
        memory = 32
      }
    }
  }
}
`, name, e.reg, "'"+script+"'", config, task)
	path := filepath.Join(t.TempDir(), name+".job")
	if err := os.WriteFile(path, []byte(job), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// runJailJob runs the job file and waits for its allocation to run,
// returning the allocation's ID.
func (e *potEnv) runJailJob(t *testing.T, name, path string) string {
	t.Helper()
	if out, code := run(t, e.a.addr, "job", "run", "-detach", path); code != 0 {
		t.Fatalf("job run %s: %d\n%s", name, code, out)
	}
	c := e.a.client(t)
	waitFor(t, 60*time.Second, name+" running", func() bool { return len(runningAllocs(t, c, name)) == 1 })
	return runningAllocs(t, c, name)[0].ID
}

// TestPotJailEnvIsolated: a variable exported in the agent's environment
// (and the agent's PATH and OLDPWD) never reaches a jail, while the
// job's env, NOMAD_* variables and the image's PATH do.
func TestPotJailEnvIsolated(t *testing.T) {
	t.Setenv("WHARF_OPERATOR_SECRET", "leaked-4f1c")
	t.Setenv("OLDPWD", "/root/agent-oldpwd")
	t.Setenv("PATH", "/agent-only/bin:"+os.Getenv("PATH"))
	e := startPotAgent(t)
	job := e.jailJob(t, "jail-env", "env; echo env-done; exec sleep 3600", "",
		`      env {
        JOB_VAR = "from-the-job"
      }`)
	id := e.runJailJob(t, "jail-env", job)
	var out string
	deadline := time.Now().Add(20 * time.Second)
	for out, _ = run(t, e.a.addr, "alloc", "logs", id); !strings.Contains(out, "env-done"); out, _ = run(t, e.a.addr, "alloc", "logs", id) {
		if time.Now().After(deadline) {
			st, _ := run(t, e.a.addr, "alloc", "status", id)
			t.Fatalf("no env in the jail's logs:\n%s\n%s", out, st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, leak := range []string{"WHARF_OPERATOR_SECRET", "leaked-4f1c", "agent-oldpwd", "/agent-only/bin"} {
		if strings.Contains(out, leak) {
			t.Errorf("the jail inherited %q from the agent:\n%s", leak, out)
		}
	}
	for _, want := range []string{"JOB_VAR=from-the-job", "NOMAD_ALLOC_ID=" + id, "NOMAD_TASK_NAME=t", "NOMAD_PORT_http=8080", "PATH="} {
		if !strings.Contains(out, want) {
			t.Errorf("the jail lacks %q:\n%s", want, out)
		}
	}
	if out, code := run(t, e.a.addr, "job", "stop", "jail-env"); code != 0 {
		t.Fatalf("job stop: %d\n%s", code, out)
	}
	e.waitClean(t, id)
}
