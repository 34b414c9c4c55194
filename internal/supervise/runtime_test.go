package supervise

import "testing"

func TestSpecValidateRuntime(t *testing.T) {
	full := func() *Spec {
		return &Spec{ID: "a/web", LogDir: "/logs", LogName: "web",
			Runtime: &Runtime{Path: "/usr/sbin/runc", Root: "/run/wharf", Bundle: "/b", ContainerID: "c"}}
	}
	tests := []struct {
		name string
		edit func(*Spec)
		want string
	}{
		{"no command or dir needed", func(*Spec) {}, ""},
		{"cgroup mode none allowed", func(s *Spec) { s.Cgroup = &Cgroup{Mode: CgroupNone} }, ""},
		{"no path", func(s *Spec) { s.Runtime.Path = "" }, "spec: runtime path is required"},
		{"no root", func(s *Spec) { s.Runtime.Root = "" }, "spec: runtime root is required"},
		{"no bundle", func(s *Spec) { s.Runtime.Bundle = "" }, "spec: runtime bundle is required"},
		{"no container id", func(s *Spec) { s.Runtime.ContainerID = "" }, "spec: runtime container_id is required"},
		{"a cgroup", func(s *Spec) { s.Cgroup = &Cgroup{Mode: CgroupV1} },
			"spec: cgroup must be unset with runtime: the runtime makes the container's cgroup"},
		{"no logs", func(s *Spec) { s.LogDir = "" }, "spec: log_dir and log_name are required"},
		{"without runtime, command", func(s *Spec) { s.Runtime = nil }, "spec: command is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := full()
			tc.edit(s)
			err := s.Validate()
			if got := errString(err); got != tc.want {
				t.Errorf("Validate = %q, want %q", got, tc.want)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestRuntimeJail(t *testing.T) {
	rt := &Runtime{Path: "/usr/sbin/runc", Root: "/run/wharf/runc", Bundle: "/b", ContainerID: "c"}
	if j := rt.Jail(); j.Path != rt.Path || j.Root != rt.Root {
		t.Errorf("jail runtime = %+v", j)
	}
}
