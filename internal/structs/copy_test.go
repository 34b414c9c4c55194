package structs

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// fill sets every field reachable from v to a non-zero value: one element
// per slice and map, every pointer allocated.
func fill(v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), depth)
	case reflect.Struct:
		for i := range v.NumField() {
			fill(v.Field(i), depth)
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0), depth)
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k, depth)
		fill(e, depth)
		v.SetMapIndex(k, e)
	case reflect.Interface: // task config: a nested map and list
		if depth < 2 {
			v.Set(reflect.ValueOf(map[string]any{"list": []any{map[string]any{"k": "v"}}, "n": 1}))
		}
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(7)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1.5)
	}
}

// assertNoSharing fails if a and b share a pointer, map or slice array.
func assertNoSharing(t *testing.T, path string, a, b reflect.Value) {
	t.Helper()
	switch a.Kind() {
	case reflect.Pointer, reflect.Map:
		if a.IsNil() {
			return
		}
		if a.Pointer() == b.Pointer() {
			t.Errorf("%s is shared", path)
			return
		}
		if a.Kind() == reflect.Pointer {
			assertNoSharing(t, path, a.Elem(), b.Elem())
			return
		}
		for it := a.MapRange(); it.Next(); {
			assertNoSharing(t, fmt.Sprintf("%s[%v]", path, it.Key()), it.Value(), b.MapIndex(it.Key()))
		}
	case reflect.Interface:
		if !a.IsNil() {
			assertNoSharing(t, path, a.Elem(), b.Elem())
		}
	case reflect.Slice:
		if a.Len() > 0 && a.Pointer() == b.Pointer() {
			t.Errorf("%s is shared", path)
			return
		}
		for i := range a.Len() {
			assertNoSharing(t, fmt.Sprintf("%s[%d]", path, i), a.Index(i), b.Index(i))
		}
	case reflect.Struct:
		for i := range a.NumField() {
			assertNoSharing(t, path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i))
		}
	}
}

func TestCopyIsDeep(t *testing.T) {
	var j Job
	fill(reflect.ValueOf(&j).Elem(), 0)
	c := j.Copy()
	if !reflect.DeepEqual(&j, c) {
		t.Fatal("copy differs from the original")
	}
	assertNoSharing(t, "Job", reflect.ValueOf(&j).Elem(), reflect.ValueOf(c).Elem())
	if (*Job)(nil).Copy() != nil || (*TaskGroup)(nil).Copy() != nil {
		t.Error("nil copies are not nil")
	}
}

func TestTaskGroupCopy(t *testing.T) {
	tg := testJob().TaskGroups[0]
	c := tg.Copy()
	c.Tasks[0].Config["port_map"].(map[string]any)["http"] = "8080"
	c.Networks[0].DynamicPorts[0].Label = "web"
	if tg.Tasks[0].Config["port_map"].(map[string]any)["http"] != "80" || tg.Networks[0].DynamicPorts[0].Label != "http" {
		t.Error("changing the copy changed the original")
	}
}

func TestSpecChanged(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Job)
		want   bool
	}{
		{"same", func(*Job) {}, false},
		{"server fields", func(j *Job) {
			j.Version, j.Status, j.StatusDescription, j.Stable, j.SubmitTime = 3, "dead", "x", true, 99
			j.CreateIndex, j.ModifyIndex, j.JobModifyIndex, j.ParentID = 1, 2, 3, "p"
		}, false},
		{"empty instead of nil", func(j *Job) {
			j.Constraints, j.TaskGroups[0].Meta, j.TaskGroups[0].Tasks[0].Env = []*Constraint{}, map[string]string{}, map[string]string{}
		}, false},
		{"config number from JSON", func(j *Job) { j.TaskGroups[1].Tasks[0].Config["port"] = 80.0 }, false},
		{"stop", func(j *Job) { j.Stop = true }, true},
		{"count", func(j *Job) { j.TaskGroups[0].Count = 2 }, true},
		{"config", func(j *Job) { j.TaskGroups[0].Tasks[0].Config["tag"] = "1.1.14" }, true},
		{"config type", func(j *Job) { j.TaskGroups[1].Tasks[0].Config["port"] = "80" }, true},
		{"check", func(j *Job) { j.TaskGroups[0].Tasks[0].Services[0].Checks[0].Timeout = time.Second }, true},
		{"meta", func(j *Job) { j.Meta["owner"] = "dev" }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, new := testJob(), testJob()
			old.TaskGroups[1].Tasks[0].Config["port"] = 80
			new.TaskGroups[1].Tasks[0].Config["port"] = 80
			tt.mutate(new)
			if got := old.SpecChanged(new); got != tt.want {
				t.Errorf("SpecChanged = %v, want %v", got, tt.want)
			}
		})
	}
	var nilJob *Job
	if !nilJob.SpecChanged(testJob()) || nilJob.SpecChanged(nil) {
		t.Error("SpecChanged mishandles nil")
	}
}

func BenchmarkCopy(b *testing.B) {
	j := testJob()
	b.ReportAllocs()
	for b.Loop() {
		j.Copy()
	}
}

// BenchmarkCopyJSON is the JSON round trip Copy replaces, for comparison.
func BenchmarkCopyJSON(b *testing.B) {
	j := testJob()
	b.ReportAllocs()
	for b.Loop() {
		buf, err := json.Marshal(j)
		if err != nil {
			b.Fatal(err)
		}
		var c Job
		if err := json.Unmarshal(buf, &c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSpecChanged(b *testing.B) {
	old, new := testJob(), testJob()
	b.ReportAllocs()
	for b.Loop() {
		if old.SpecChanged(new) {
			b.Fatal("changed")
		}
	}
}
