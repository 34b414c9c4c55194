package jobspec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/hashicorp/nomad/api"
)

// TestSeedJobDecodesAsNomadAPIJob proves wharf's JSON uses Nomad's field
// names and casing: the parsed seed jobs decode into Nomad's api.Job with
// no unknown field, and every value survives the trip unchanged.
func TestSeedJobDecodesAsNomadAPIJob(t *testing.T) {
	for _, file := range []string{"testdata/seed.nomad.hcl", "testdata/seed-full.nomad.hcl"} {
		t.Run(file, func(t *testing.T) {
			job, err := ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			ours, err := json.Marshal(job)
			if err != nil {
				t.Fatal(err)
			}
			dec := json.NewDecoder(bytes.NewReader(ours))
			dec.DisallowUnknownFields()
			var nomad api.Job
			if err := dec.Decode(&nomad); err != nil {
				t.Fatalf("decode into api.Job: %v", err)
			}
			theirs, err := json.Marshal(&nomad)
			if err != nil {
				t.Fatal(err)
			}
			var a, b any
			mustUnmarshal(t, ours, &a)
			mustUnmarshal(t, theirs, &b)
			if diff := subsetDiff("Job", a, b); diff != "" {
				t.Error(diff)
			}
			checkAPISeed(t, &nomad)
		})
	}
}

func checkAPISeed(t *testing.T, j *api.Job) {
	t.Helper()
	tg := j.TaskGroups[0]
	task := tg.Tasks[0]
	svc := task.Services[0]
	got := []any{*j.ID, *j.Type, j.Datacenters[0], *tg.Name, *tg.Count, task.Driver,
		task.Config["pot"], svc.Name, svc.PortLabel, svc.Checks[0].Type, svc.Checks[0].Interval.String(),
		svc.Checks[0].Timeout.String(), *task.Resources.CPU, *task.Resources.MemoryMB}
	want := []any{"nginx-minipot", "service", "minipot", "group1", 1, "pot",
		"nginx-nomad-amd64-13_1", "hello-web", "http", "tcp", "5s", "2s", 200, 64}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("api.Job fields = %v, want %v", got, want)
	}
}

func mustUnmarshal(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// subsetDiff reports the first value of a that b lacks or holds differently.
func subsetDiff(path string, a, b any) string {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: %v became %v", path, a, b)
		}
		for k, v := range av {
			if d := subsetDiff(path+"."+k, v, bv[k]); d != "" {
				return d
			}
		}
	case []any:
		bv, ok := b.([]any)
		if !ok || len(bv) != len(av) {
			return fmt.Sprintf("%s: %v became %v", path, a, b)
		}
		for i := range av {
			if d := subsetDiff(fmt.Sprintf("%s[%d]", path, i), av[i], bv[i]); d != "" {
				return d
			}
		}
	default:
		if !reflect.DeepEqual(a, b) {
			return fmt.Sprintf("%s: %v became %v", path, a, b)
		}
	}
	return ""
}
