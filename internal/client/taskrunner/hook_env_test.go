package taskrunner

import (
	"context"
	"testing"
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
