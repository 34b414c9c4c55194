package tmpl

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

// TestHaproxyExample renders examples/templates/haproxy.cfg.tmpl and, when
// haproxy is installed, has haproxy check the result.
func TestHaproxyExample(t *testing.T) {
	text, err := os.ReadFile("../../examples/templates/haproxy.cfg.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	f := newFakeCatalog(t)
	f.register(
		reg("_wharf-task-0b8e-hello-http", "hello", "10.0.0.1", 8080, structs.HealthPassing),
		reg("hello-2", "hello", "10.0.0.2", 8080, structs.HealthCritical),
		reg("db-1", "db", "10.0.0.3", 5432, structs.HealthPassing),
		reg("hidden-1", "hidden", "10.0.0.4", 80, structs.HealthPassing, "traefik.enable=false"),
	)
	t.Setenv("HAPROXY_BIND", "127.0.0.1:18080")
	got, err := renderOnce(t, f.client(t), string(text))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"bind 127.0.0.1:18080\n",
		"acl host_hello hdr(host) -i hello.minipot\n    use_backend svc_hello if host_hello\n",
		"backend svc_hello\n    balance roundrobin\n    server _wharf-task-0b8e-hello-http 10.0.0.1:8080 check\n",
		"backend svc_db\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("config lacks %q:\n%s", want, got)
		}
	}
	for _, unwanted := range []string{"hello-2", "hidden"} {
		if strings.Contains(got, unwanted) {
			t.Errorf("config has %q:\n%s", unwanted, got)
		}
	}
	checkWithHaproxy(t, got)
}

func checkWithHaproxy(t *testing.T, cfg string) {
	t.Helper()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("haproxy is not installed (apt-get install haproxy)")
		}
		t.Skip("haproxy is not installed; config not checked")
	}
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-c", "-f", path).CombinedOutput(); err != nil {
		t.Errorf("haproxy -c: %v\n%s\nconfig:\n%s", err, out, cfg)
	}
}
