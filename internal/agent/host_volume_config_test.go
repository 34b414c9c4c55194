package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNormalizeHostVolumes(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	file := filepath.Join(dir, "file")
	link := filepath.Join(dir, "link")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(data, link); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		vols     []*HostVolumeConfig
		wantErr  string
		wantPath string
	}{
		{"ok", []*HostVolumeConfig{{Name: "d", Path: data}}, "", data},
		{"symlink resolved", []*HostVolumeConfig{{Name: "d", Path: link}}, "", data},
		{"unclean path cleaned", []*HostVolumeConfig{{Name: "d", Path: data + "/../data/"}}, "", data},
		{"no name", []*HostVolumeConfig{{Path: data}}, "needs a name", ""},
		{"twice", []*HostVolumeConfig{{Name: "d", Path: data}, {Name: "d", Path: data}}, `"d": declared twice`, ""},
		{"relative", []*HostVolumeConfig{{Name: "d", Path: "srv/x"}}, "is not absolute", ""},
		{"missing", []*HostVolumeConfig{{Name: "d", Path: filepath.Join(dir, "nope")}}, "no such file", ""},
		{"a file", []*HostVolumeConfig{{Name: "d", Path: file}}, "is not a directory", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Config{Client: &ClientConfig{HostVolumes: tt.vols}}
			err := c.normalizeHostVolumes()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.HostVolumes()["d"]; got == nil || got.Path != tt.wantPath {
				t.Errorf("volume = %+v, want path %s", got, tt.wantPath)
			}
		})
	}
}
