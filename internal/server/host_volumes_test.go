package server

import (
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

// TestSubmitRefusesMountsOutsideHostVolumes: a pot job mounting a host
// path no ready node's host volume holds is refused at submit (register,
// plan and validate) naming the group, task and mount; one inside a
// declared volume is accepted.
func TestSubmitRefusesMountsOutsideHostVolumes(t *testing.T) {
	ts := newTestServer(t, nil)
	n := fakeNode("n1", "dc1", "pot")
	n.HostVolumes = map[string]*structs.ClientHostVolumeConfig{"x": {Name: "x", Path: "/srv/x"}}
	ts.registerNode(n)
	potJob := func(key, entry string) *structs.Job {
		job := testJob("vol", 1, "pot")
		job.TaskGroups[0].Tasks[0].Config = map[string]any{"image": "http://127.0.0.1:9080", "pot": "p", "tag": "1",
			key: []any{entry}}
		return job
	}
	refused := []struct{ key, entry string }{
		{"mount", "/:/host"},
		{"mount", "/srv/x2:/d"},
		{"mount_read_only", "/srv/x/../../etc:/etc2"},
		{"copy", "/etc/shadow:/s"},
	}
	for _, r := range refused {
		t.Run(r.entry, func(t *testing.T) {
			body := map[string]any{"Job": potJob(r.key, r.entry)}
			for _, path := range []string{"/v1/jobs", "/v1/job/vol/plan"} {
				code, msg := ts.do("PUT", path, body, nil)
				if code != 400 {
					t.Fatalf("PUT %s: %d %s, want 400", path, code, msg)
				}
				for _, want := range []string{`TaskGroups["web"]`, `task "server"`, "config." + r.key, r.entry, "host_volume"} {
					if !strings.Contains(msg, want) {
						t.Errorf("PUT %s: %q lacks %q", path, msg, want)
					}
				}
			}
			var v map[string]any
			ts.mustDo("PUT", "/v1/validate/job", body, &v)
			if e, _ := v["Error"].(string); !strings.Contains(e, r.entry) {
				t.Errorf("validate: %v", v)
			}
		})
	}
	if code, msg := ts.do("PUT", "/v1/jobs", map[string]any{"Job": potJob("mount", "/srv/x/data:/data")}, nil); code != 200 {
		t.Fatalf("a mount inside the volume: %d %s", code, msg)
	}
	if snap := ts.store.Snapshot(); snap.Job("default", "vol") == nil {
		t.Error("the accepted job is not stored")
	}
}
