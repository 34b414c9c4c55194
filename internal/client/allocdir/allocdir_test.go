package allocdir

import (
	"os"
	"path/filepath"
	"testing"
)

func TestBuildLayout(t *testing.T) {
	root := t.TempDir()
	d := New(root, "a1")
	if err := d.Build([]string{"web", "side"}); err != nil {
		t.Fatal(err)
	}
	want := map[string]os.FileMode{
		"a1":              dirMode,
		"a1/alloc":        sharedMode,
		"a1/alloc/logs":   dirMode,
		"a1/alloc/data":   sharedMode,
		"a1/alloc/tmp":    sharedMode,
		"a1/web":          sharedMode,
		"a1/web/local":    sharedMode,
		"a1/web/secrets":  secretsMode,
		"a1/web/tmp":      sharedMode,
		"a1/side/local":   sharedMode,
		"a1/side/secrets": secretsMode,
	}
	for rel, mode := range want {
		fi, err := os.Stat(filepath.Join(root, rel))
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		if !fi.IsDir() || fi.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want dir %v", rel, fi.Mode(), mode)
		}
	}
	if d.LogDir != filepath.Join(root, "a1", "alloc", "logs") {
		t.Errorf("LogDir = %s", d.LogDir)
	}
	if err := d.Build([]string{"web"}); err != nil {
		t.Fatalf("second build: %v", err)
	}
	if err := d.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.Dir); !os.IsNotExist(err) {
		t.Fatalf("dir still there after Destroy: %v", err)
	}
}

func TestValidTaskName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"web", true}, {"my-task_1", true}, {"", false}, {".", false}, {"..", false},
		{"alloc", false}, {"a/b", false}, {`a\b`, false},
	}
	for _, tt := range tests {
		if err := ValidTaskName(tt.name); (err == nil) != tt.ok {
			t.Errorf("ValidTaskName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
	if err := New(t.TempDir(), "a").Build([]string{"../x"}); err == nil {
		t.Fatal("Build accepted a task name with a slash")
	}
}
