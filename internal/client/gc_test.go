package client

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestCollectGarbageKeepsNewest(t *testing.T) {
	c, err := New(Config{Servers: []string{"127.0.0.1:1"}, DataDir: t.TempDir(), Logger: discardLogger(), GCMaxAllocs: 3})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Now().Add(-time.Hour)
	for i := range 5 {
		dir := filepath.Join(c.allocRoot, fmt.Sprintf("alloc-%d", i), "alloc", "logs")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		mod := base.Add(time.Duration(i) * time.Minute)
		if err := os.Chtimes(dir, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
	c.collectGarbage()
	entries, err := os.ReadDir(c.allocRoot)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, e := range entries {
		kept = append(kept, e.Name())
	}
	if fmt.Sprint(kept) != "[alloc-2 alloc-3 alloc-4]" {
		t.Fatalf("kept %v, want the 3 newest", kept)
	}
}
