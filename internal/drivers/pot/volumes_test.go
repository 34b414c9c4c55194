package pot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/drivers/pot/spec"
	"github.com/wharf-project/wharf/internal/structs"
)

// TestConfineMounts: only paths inside a host volume reach the jail,
// after "..", symlinks and prefix tricks; a read-only volume makes its
// mounts read-only; sources become real paths.
func TestConfineMounts(t *testing.T) {
	root := t.TempDir()
	x, x2, ro := filepath.Join(root, "x"), filepath.Join(root, "x2"), filepath.Join(root, "ro")
	for _, d := range []string{x, x2, ro, filepath.Join(x, "sub")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{"out": "/etc", "in": filepath.Join(x, "sub"), "rel": "../x2"} {
		if err := os.Symlink(target, filepath.Join(x, link)); err != nil {
			t.Fatal(err)
		}
	}
	vols := map[string]*structs.ClientHostVolumeConfig{
		"x": {Name: "x", Path: x}, "ro": {Name: "ro", Path: ro, ReadOnly: true},
	}
	tests := []struct {
		name    string
		key     string
		src     string
		wantErr string
		wantRO  bool
		wantSrc string
	}{
		{"inside", "mount", x + "/sub", "", false, x + "/sub"},
		{"the volume itself", "mount", x, "", false, x},
		{"host root", "mount", "/", "not inside any host volume", false, ""},
		{"prefix trick", "mount", x2, "not inside any host volume", false, ""},
		{"dot-dot escape", "mount", x + "/../x2", "not inside any host volume", false, ""},
		{"symlink out", "mount", x + "/out", "outside every host volume", false, ""},
		{"relative symlink out", "mount_read_only", x + "/rel", "outside every host volume", false, ""},
		{"symlink within", "mount", x + "/in", "", false, x + "/sub"},
		{"missing", "mount", x + "/nope", "no such file", false, ""},
		{"read-only volume", "mount", ro, "", true, ro},
		{"copy from outside", "copy", "/etc/shadow", "config.copy[0]", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conf, err := spec.ParseConfig(map[string]any{"image": "http://r", "pot": "p", "tag": "1",
				tt.key: []any{tt.src + ":/data"}})
			if err != nil {
				t.Fatal(err)
			}
			err = confineMounts(conf, vols)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("confineMounts = %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ms, other := conf.Mounts, conf.MountsReadOnly
			if tt.wantRO {
				ms, other = other, ms
			}
			if len(ms) != 1 || len(other) != 0 || ms[0].Src != tt.wantSrc {
				t.Errorf("mounts %+v, read-only %+v; want %s (read-only %v)", conf.Mounts, conf.MountsReadOnly, tt.wantSrc, tt.wantRO)
			}
		})
	}
	if err := confineMounts(&spec.Config{Mounts: []spec.Mount{{Src: "/srv", Dst: "/d"}}}, nil); err == nil {
		t.Error("a node without host volumes accepted a mount")
	}
}
