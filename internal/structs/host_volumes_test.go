package structs

import "testing"

func TestVolumeFor(t *testing.T) {
	vols := map[string]*ClientHostVolumeConfig{
		"x":    {Name: "x", Path: "/srv/x"},
		"deep": {Name: "deep", Path: "/srv/x/deep", ReadOnly: true},
		"bad":  {Name: "bad", Path: "relative"},
	}
	tests := []struct {
		path string
		want string // volume name, "" for none
	}{
		{"/srv/x", "x"},
		{"/srv/x/", "x"},
		{"/srv/x/a/b", "x"},
		{"/srv/x/deep/f", "deep"},
		{"/srv/x2", ""},
		{"/srv/x2/a", ""},
		{"/srv/xx", ""},
		{"/srv", ""},
		{"/", ""},
		{"/srv/x/..", ""},
		{"/srv/x/../../etc", ""},
		{"/srv/x/a/../../x/b", "x"},
		{"/srv/x/./a", "x"},
		{"//srv//x//a", "x"},
		{"srv/x", ""},
		{"relative/a", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got := VolumeFor(vols, tt.path)
			name := ""
			if got != nil {
				name = got.Name
			}
			if name != tt.want {
				t.Errorf("VolumeFor(%q) = %q, want %q", tt.path, name, tt.want)
			}
		})
	}
	root := map[string]*ClientHostVolumeConfig{"all": {Name: "all", Path: "/"}}
	if VolumeFor(root, "/etc/shadow") == nil {
		t.Error("a volume at / does not contain /etc/shadow")
	}
	if VolumeFor(nil, "/srv/x") != nil {
		t.Error("no volumes contain /srv/x")
	}
}

func TestUncoveredMount(t *testing.T) {
	n := &Node{HostVolumes: map[string]*ClientHostVolumeConfig{"x": {Name: "x", Path: "/srv/x"}}}
	task := func(driver string, cfg map[string]any) *TaskGroup {
		return &TaskGroup{Tasks: []*Task{{Name: "t", Driver: driver, Config: cfg}}}
	}
	tests := []struct {
		name  string
		tg    *TaskGroup
		ok    bool
		entry string
	}{
		{"no mounts", task("pot", map[string]any{}), true, ""},
		{"inside", task("pot", map[string]any{"mount": []any{"/srv/x/data:/data"}}), true, ""},
		{"host root", task("pot", map[string]any{"mount": []any{"/srv/x:/a", "/:/host"}}), false, "/:/host"},
		{"read-only escape", task("pot", map[string]any{"mount_read_only": []string{"/srv/x/../../etc:/etc2"}}), false, "/srv/x/../../etc:/etc2"},
		{"prefix trick", task("pot", map[string]any{"mount": []any{"/srv/x2:/d"}}), false, "/srv/x2:/d"},
		{"raw_exec ignored", task("raw_exec", map[string]any{"mount": []any{"/:/host"}}), true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, m, ok := UncoveredMount(n, tt.tg)
			if ok != tt.ok || m.Entry != tt.entry {
				t.Fatalf("UncoveredMount = %q %+v %v, want ok %v entry %q", name, m, ok, tt.ok, tt.entry)
			}
			if !ok && name != "t" {
				t.Errorf("task %q, want t", name)
			}
		})
	}
}
