package cli

import (
	"bytes"
	"testing"
)

func TestAddressFromEnvironment(t *testing.T) {
	f := seededAPI(newFakeAPI(t))
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
	}{
		{"WHARF_ADDR", map[string]string{"WHARF_ADDR": f.srv.URL}, []string{"job", "status"}, 0},
		{"NOMAD_ADDR fallback", map[string]string{"NOMAD_ADDR": f.srv.URL}, []string{"job", "status"}, 0},
		{"flag beats env", map[string]string{"WHARF_ADDR": "http://127.0.0.1:1"},
			[]string{"job", "status", "-address", f.srv.URL}, 0},
		{"unreachable", map[string]string{"WHARF_ADDR": "http://127.0.0.1:1"}, []string{"job", "status"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"WHARF_ADDR", "NOMAD_ADDR"} {
				t.Setenv(k, tt.env[k])
			}
			var out, errOut bytes.Buffer
			if code := Run(tt.args, &out, &errOut); code != tt.code {
				t.Fatalf("code = %d, want %d\n%s%s", code, tt.code, out.String(), errOut.String())
			}
			if tt.code == 0 {
				mustContain(t, out.String(), "nginx-minipot")
			}
		})
	}
}
