package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedJobFile is the walk-through's job file.
const seedJobFile = `job "nginx-minipot" {
  datacenters = ["minipot"]
  type = "service"
  group "group1" {
    count = 1
    network {
      port "http" {}
    }
    task "www1" {
      driver = "pot"
      service {
        tags = ["nginx", "www"]
        name = "hello-web"
        port = "http"
        check {
          type     = "tcp"
          name     = "tcp"
          interval = "5s"
          timeout  = "2s"
        }
      }
      config {
        image = "https://potluck.honeyguide.net/nginx-nomad"
        pot = "nginx-nomad-amd64-13_1"
        tag = "1.1.13"
        command = "nginx"
        args = ["-g","'daemon off;'"]
        port_map = {
          http = "80"
        }
      }
      resources {
        cpu = 200
        memory = 64
      }
    }
  }
}
`

// TestRealParser runs validate and inspect through the real job file
// parser, without a server.
func TestRealParser(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "nginx.job")
	bad := filepath.Join(dir, "bad.job")
	if err := os.WriteFile(good, []byte(seedJobFile), 0o644); err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(seedJobFile, "count = 1", "count = \"many\"", 1)
	if err := os.WriteFile(bad, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"job", "validate", good}, 0, "Job validation successful", ""},
		{[]string{"job", "inspect", good}, 0, `"Driver": "pot"`, ""},
		{[]string{"job", "validate", bad}, 1, "", bad + ":5:"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := Run(append([]string{"-address", "http://127.0.0.1:1"}, tt.args...), &out, &errOut)
		if code != tt.code {
			t.Fatalf("%v: code = %d, want %d\n%s%s", tt.args, code, tt.code, out.String(), errOut.String())
		}
		mustContain(t, out.String(), tt.stdout)
		mustContain(t, errOut.String(), tt.stderr)
	}
}
