package allocrunner

import (
	"context"
	"os"
	"os/user"
	"path/filepath"
	"testing"

	"github.com/wharf-project/wharf/internal/client/allocdir"
	"github.com/wharf-project/wharf/internal/structs"
)

func TestAllocDirHook(t *testing.T) {
	root := t.TempDir()
	h := &allocDirHook{dir: allocdir.New(root, "a1"), tasks: []*structs.Task{{Name: "web"}, {Name: "db"}}}
	if err := h.Prerun(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"alloc/logs", "alloc/data", "alloc/tmp", "web/local", "web/secrets", "web/tmp", "db/local"} {
		if fi, err := os.Stat(filepath.Join(root, "a1", rel)); err != nil || !fi.IsDir() {
			t.Errorf("%s: %v", rel, err)
		}
	}
	bad := &allocDirHook{dir: allocdir.New(root, "a2"), tasks: []*structs.Task{{Name: "../x"}}}
	if err := bad.Prerun(context.Background()); err == nil {
		t.Fatal("bad task name accepted")
	}
}

func TestChownTaskDir(t *testing.T) {
	me, err := user.Current()
	if err != nil {
		t.Skipf("no current user: %v", err)
	}
	d := allocdir.New(t.TempDir(), "a1")
	if err := d.Build([]string{"web"}); err != nil {
		t.Fatal(err)
	}
	if err := chownTaskDir(d.TaskDir("web"), me.Username); err != nil {
		t.Fatalf("chown to self: %v", err)
	}
	if err := chownTaskDir(d.TaskDir("web"), "no-such-user-wharf"); err == nil {
		t.Fatal("unknown user accepted")
	}
}
