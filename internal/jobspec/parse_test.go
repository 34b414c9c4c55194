package jobspec

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

func mustParse(t *testing.T, src string) *structs.Job {
	t.Helper()
	job, err := Parse("test.nomad.hcl", []byte(src))
	if err != nil {
		t.Fatalf("parse: %v\nsource:\n%s", err, src)
	}
	return job
}

func TestSeedJob(t *testing.T) {
	job, err := ParseFile("testdata/seed.nomad.hcl")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	b, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	mustUnmarshal(t, b, &got)
	checks := map[string]any{
		"ID": "nginx-minipot", "Name": "nginx-minipot", "Type": "service", "Region": "global",
		"Namespace": "default", "Priority": 50.0, "Datacenters": []any{"minipot"},
		"TaskGroups[0].Name": "group1", "TaskGroups[0].Count": 1.0,
		"TaskGroups[0].Networks[0].DynamicPorts[0].Label": "http",
		"TaskGroups[0].Networks[0].DynamicPorts[0].Value": 0.0,
		"TaskGroups[0].Networks[0].ReservedPorts":         nil,
		"TaskGroups[0].Tasks[0].Name":                     "www1",
		"TaskGroups[0].Tasks[0].Driver":                   "pot",
		"TaskGroups[0].Tasks[0].Config": map[string]any{
			"image": "https://potluck.honeyguide.net/nginx-nomad", "pot": "nginx-nomad-amd64-13_1",
			"tag": "1.1.13", "command": "nginx", "args": []any{"-g", "'daemon off;'"},
			"port_map": map[string]any{"http": "80"},
		},
		"TaskGroups[0].Tasks[0].Services[0].Name":               "hello-web",
		"TaskGroups[0].Tasks[0].Services[0].Tags":               []any{"nginx", "www"},
		"TaskGroups[0].Tasks[0].Services[0].PortLabel":          "http",
		"TaskGroups[0].Tasks[0].Services[0].Checks[0].Type":     "tcp",
		"TaskGroups[0].Tasks[0].Services[0].Checks[0].Name":     "tcp",
		"TaskGroups[0].Tasks[0].Services[0].Checks[0].Interval": float64(5 * time.Second),
		"TaskGroups[0].Tasks[0].Services[0].Checks[0].Timeout":  float64(2 * time.Second),
		"TaskGroups[0].Tasks[0].Resources.CPU":                  200.0,
		"TaskGroups[0].Tasks[0].Resources.MemoryMB":             64.0,
		"TaskGroups[0].Tasks[0].KillTimeout":                    float64(5 * time.Second),
		"TaskGroups[0].Update.MaxParallel":                      1.0,
		"TaskGroups[0].RestartPolicy.Attempts":                  2.0,
		"TaskGroups[0].EphemeralDisk.SizeMB":                    300.0,
	}
	for path, want := range checks {
		if v := lookupJSON(got, path); !reflect.DeepEqual(v, want) {
			t.Errorf("%s = %#v, want %#v", path, v, want)
		}
	}
}

// lookupJSON follows a path like A[0].B through decoded JSON.
func lookupJSON(v any, path string) any {
	for _, part := range strings.Split(path, ".") {
		name, idx, hasIdx := strings.Cut(part, "[")
		m, _ := v.(map[string]any)
		v = m[name]
		if hasIdx {
			l, _ := v.([]any)
			i := int(idx[0] - '0')
			if i >= len(l) {
				return "<missing>"
			}
			v = l[i]
		}
	}
	return v
}

func TestFullSeedJob(t *testing.T) {
	job, err := ParseFile("testdata/seed-full.nomad.hcl")
	if err != nil {
		t.Fatal(err)
	}
	tg := job.TaskGroups[0]
	wantUpdate := &structs.UpdateStrategy{
		Stagger: 30 * time.Second, MaxParallel: 1, HealthCheck: "checks", MinHealthyTime: 10 * time.Second,
		HealthyDeadline: 8 * time.Minute, ProgressDeadline: 10 * time.Minute, AutoRevert: true,
	}
	if !reflect.DeepEqual(tg.Update, wantUpdate) {
		t.Errorf("group update = %+v, want %+v", tg.Update, wantUpdate)
	}
	if len(tg.Networks) != 0 {
		t.Errorf("group networks = %v, want none: the older form stays on the task", tg.Networks)
	}
	nets := tg.Tasks[0].Resources.Networks
	if len(nets) != 1 || nets[0].MBits != 10 || len(nets[0].DynamicPorts) != 1 || nets[0].DynamicPorts[0].Label != "http" {
		t.Errorf("task networks = %+v, want one with mbits 10 and dynamic port http", nets)
	}
}

func TestParseFileErrors(t *testing.T) {
	if _, err := ParseFile(filepath.Join(t.TempDir(), "missing.hcl")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want not exist", err)
	}
	path := filepath.Join(t.TempDir(), "bad.nomad.hcl")
	if err := os.WriteFile(path, []byte("job \"x\" {\n  bogus = 1\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ParseFile(path)
	var diags Diagnostics
	if !errors.As(err, &diags) || !strings.Contains(err.Error(), path+":2:3: Unsupported argument") {
		t.Errorf("err = %v, want Diagnostics naming %s:2:3", err, path)
	}
}

func TestParseIsStable(t *testing.T) {
	src, err := os.ReadFile("testdata/seed.nomad.hcl")
	if err != nil {
		t.Fatal(err)
	}
	a, b := mustParse(t, string(src)), mustParse(t, string(src))
	if a.SpecChanged(b) {
		t.Error("two parses of one file differ")
	}
	if d := structs.DiffJobs(a, b); d.Type != structs.DiffTypeNone {
		t.Errorf("diff of two parses = %s, want None", d.Type)
	}
}

func BenchmarkParseSeed(b *testing.B) {
	src, err := os.ReadFile("testdata/seed-full.nomad.hcl")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("seed.nomad.hcl", src); err != nil {
			b.Fatal(err)
		}
	}
}
