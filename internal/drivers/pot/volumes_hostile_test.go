package pot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/drivers/pot/spec"
	"github.com/wharf-project/wharf/internal/structs"
)

// TestHostileMountEntries: whole mount entries as a job could write them,
// parsed and confined as the driver does. Options smuggled after a second
// colon land in the jail-side path (never in the mount's options, so a
// read-only volume stays read-only); extra slashes and dots are cleaned;
// /proc's magic links to the host's root count as what they point to.
func TestHostileMountEntries(t *testing.T) {
	root := t.TempDir()
	x, ro := filepath.Join(root, "x"), filepath.Join(root, "ro")
	for _, d := range []string{filepath.Join(x, "sub"), ro} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{"procroot": "/proc/self/root", "pid1": "/proc/1/root/etc", "cwd": "/proc/self/cwd"} {
		if err := os.Symlink(target, filepath.Join(x, link)); err != nil {
			t.Fatal(err)
		}
	}
	vols := map[string]*structs.ClientHostVolumeConfig{"x": {Name: "x", Path: x}, "ro": {Name: "ro", Path: ro, ReadOnly: true}}
	tests := []struct {
		entry            string
		wantErr          string
		wantSrc, wantDst string
		wantRO           bool
	}{
		{x + ":/data:rw", "", x, "/data:rw", false},
		{ro + ":/data:rw", "", ro, "/data:rw", true},
		{ro + ":/data,rw", "", ro, "/data,rw", true},
		{x + "::/d", "absolute", "", "", false},
		{"/" + x + "//sub/:/d/", "", x + "/sub", "/d", false},
		{x + "/sub/../sub/.:/d", "", x + "/sub", "/d", false},
		{x + ":/../../etc", "", x, "/etc", false},
		{x + "/sub/../../../etc:/d", "not inside any host volume", "", "", false},
		{"relative/x:/d", "absolute", "", "", false},
		{x + ":relative", "absolute", "", "", false},
		{":/d", "src:dst", "", "", false},
		{x + ":", "src:dst", "", "", false},
		{"", "src:dst", "", "", false},
		{x, "src:dst", "", "", false},
		{"/proc/self/root" + x + ":/d", "not inside any host volume", "", "", false},
		{"/proc/1/root/:/d", "not inside any host volume", "", "", false},
		{x + "/procroot:/d", "outside every host volume", "", "", false},
		{x + "/pid1:/d", "pot: config.", "", "", false}, // refused, by readlink or by the check
		{x + "/cwd:/d", "outside every host volume", "", "", false},
		{x + "\n/etc:/d", "not inside any host volume", "", "", false},
	}
	for _, tt := range tests {
		for _, key := range []string{"mount", "mount_read_only", "copy"} {
			t.Run(key+" "+strings.ReplaceAll(tt.entry, "/", "|"), func(t *testing.T) {
				conf, err := spec.ParseConfig(map[string]any{"image": "http://r", "pot": "p", "tag": "1", key: []any{tt.entry}})
				if err == nil {
					err = confineMounts(conf, vols)
				}
				if tt.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
						t.Fatalf("%q: %v, want an error with %q", tt.entry, err, tt.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatalf("%q: %v", tt.entry, err)
				}
				var got []spec.Mount
				switch {
				case key == "copy":
					got = conf.Copies
				case tt.wantRO || key == "mount_read_only":
					got = conf.MountsReadOnly
					if len(conf.Mounts) != 0 {
						t.Errorf("%q: read-write mounts %+v, want none", tt.entry, conf.Mounts)
					}
				default:
					got = conf.Mounts
				}
				if len(got) != 1 || got[0].Src != tt.wantSrc || got[0].Dst != tt.wantDst {
					t.Errorf("%q: %+v, want %s -> %s", tt.entry, got, tt.wantSrc, tt.wantDst)
				}
			})
		}
	}
}
