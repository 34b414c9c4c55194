package taskenv

import "testing"

// BenchmarkBuildAndReplace measures building a task's environment and
// interpolating a small driver config, done once per task start.
func BenchmarkBuildAndReplace(b *testing.B) {
	in := testInput()
	cfg := map[string]any{"command": "nginx", "args": []any{"-p", "${NOMAD_PORT_http}", "${attr.kernel.name}"}}
	b.ReportAllocs()
	for b.Loop() {
		e := Build(in)
		_ = e.ReplaceConfig(cfg)
	}
}
