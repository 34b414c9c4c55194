package taskrunner

import (
	"context"
	"testing"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/fake"
)

func TestEnvHook(t *testing.T) {
	h := newHarness(t, "service", nil)
	req := h.tr.newStartRequest()
	req.HostEnv = map[string]string{"PATH": "/usr/bin"}
	if err := (envHook{}).Prestart(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"PATH":                 "/usr/bin",
		"NOMAD_ALLOC_ID":       h.alloc.ID,
		"NOMAD_TASK_NAME":      "web",
		"NOMAD_GROUP_NAME":     "g",
		"NOMAD_JOB_ID":         "job1",
		"NOMAD_DC":             "dc1",
		"NOMAD_ALLOC_DIR":      h.dir.SharedDir,
		"NOMAD_TASK_DIR":       h.dir.TaskDir("web").LocalDir,
		"NOMAD_SECRETS_DIR":    h.dir.TaskDir("web").SecretsDir,
		"NOMAD_PORT_http":      "80",
		"NOMAD_HOST_PORT_http": "21000",
		"GREETING":             "hello web",
	}
	for k, v := range want {
		if got := req.Config.Env[k]; got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if req.Env == nil {
		t.Fatal("req.Env not set for later hooks")
	}
}

// isolatedDriver is the fake driver declaring image isolation, as pot.
type isolatedDriver struct{ *fake.Driver }

func (isolatedDriver) IsolatesImage() bool { return true }

// TestEnvHookHostEnvOnlyWithoutIsolation: a raw_exec-like driver's task
// inherits the client's environment (as Nomad); an image-isolated
// driver's task gets only the job's env and the NOMAD_* variables.
func TestEnvHookHostEnvOnlyWithoutIsolation(t *testing.T) {
	tests := []struct {
		name     string
		driver   drivers.Driver
		inherits bool
	}{
		{"no isolation", fake.New(), true},
		{"image isolation", isolatedDriver{fake.New()}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, "service", nil)
			tr := h.newRunner(tt.driver)
			tr.cfg.HostEnv = map[string]string{"OPERATOR_SECRET": "s3cret", "PATH": "/agent/bin", "OLDPWD": "/root"}
			req := tr.newStartRequest()
			if err := (envHook{}).Prestart(context.Background(), req); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"OPERATOR_SECRET", "PATH", "OLDPWD"} {
				if _, ok := req.Config.Env[k]; ok != tt.inherits {
					t.Errorf("%s present = %v, want %v", k, ok, tt.inherits)
				}
			}
			if req.Config.Env["GREETING"] != "hello web" || req.Config.Env["NOMAD_ALLOC_ID"] != h.alloc.ID {
				t.Errorf("the job's env or NOMAD_* variables are missing: %v", req.Config.Env)
			}
		})
	}
}
