package pot_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/pot"
	"github.com/wharf-project/wharf/internal/structs"
)

// freePort returns a free TCP port on the host.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitExit waits for the task to end.
func waitExit(t testing.TB, d drivers.Driver, id string) *drivers.ExitResult {
	t.Helper()
	ch, err := d.WaitTask(ctx(t), id)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-ch:
		return r
	case <-time.After(30 * time.Second):
		t.Fatal("task did not exit in 30s")
	}
	return nil
}

// get fetches url until it answers or 10 seconds pass.
func get(t testing.TB, url string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return string(body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestBridgedJailServesOnMappedPort(t *testing.T) {
	needJails(t)
	tn := newTestNet(t)
	o := options(t, tn)
	d := pot.New(o)
	if info := d.Fingerprint(ctx(t)); !info.Healthy {
		t.Fatalf("fingerprint: %s", info.HealthDescription)
	}
	url := registry(t)
	cfg := taskConfig(t, url, map[string]any{"command": "/bin/httpd", "args": []any{"-f", "-v", "-p", "80", "-h", "/www"},
		"port_map": map[string]any{"http": "80"}})
	host := freePort(t)
	cfg.Ports = []structs.PortMapping{{Label: "http", Value: host}}
	var events []string
	cfg.Emit = func(typ, msg string) { events = append(events, typ+": "+msg) }
	h, err := d.StartTask(ctx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if h.Driver != pot.Name {
		t.Errorf("handle driver %q", h.Driver)
	}
	if len(events) == 0 || !strings.Contains(events[len(events)-1], "Downloaded") {
		t.Errorf("no download events: %q", events)
	}
	// From the host: on loopback, and on another of the node's addresses
	// (the bridge's, the only non-loopback one a test may use here).
	gw := strings.TrimSuffix(o.CIDR, "0/24") + "1"
	for _, addr := range []string{"127.0.0.1", gw} {
		if body := get(t, fmt.Sprintf("http://%s:%d/", addr, host)); body != "hello from the jail\n" {
			t.Errorf("GET %s through the port forward: %q", addr, body)
		}
	}

	t.Run("exec", func(t *testing.T) {
		var out bytes.Buffer
		r, err := d.ExecTask(ctx(t), cfg.ID, &drivers.ExecOptions{
			Command: []string{"/bin/sh", "-c", "echo hello-$((6*7)); hostname; exit 3"}, Stdout: &out, Stderr: &out})
		if err != nil {
			t.Fatal(err)
		}
		if r.ExitCode != 3 || !strings.HasPrefix(out.String(), "hello-42\nweb-") {
			t.Errorf("exec: exit %d, output %q", r.ExitCode, out.String())
		}
	})
	t.Run("network", func(t *testing.T) {
		n, err := d.TaskNetwork(ctx(t), cfg.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(n.IP, strings.TrimSuffix(o.CIDR, "0/24")) || n.PortMap["http"] != 80 {
			t.Errorf("TaskNetwork = %+v, want an address in %s and http -> 80", n, o.CIDR)
		}
	})
	t.Run("exec with a terminal", func(t *testing.T) {
		var out bytes.Buffer
		r, err := d.ExecTask(ctx(t), cfg.ID, &drivers.ExecOptions{Tty: true,
			Command: []string{"/bin/sh", "-c", "tty; exit 4"}, Stdout: &out})
		if err != nil {
			t.Fatal(err)
		}
		if r.ExitCode != 4 || !strings.Contains(out.String(), "/dev/pts/") {
			t.Errorf("tty exec: exit %d, output %q", r.ExitCode, out.String())
		}
	})
	t.Run("stats", func(t *testing.T) {
		st, err := d.TaskStats(ctx(t), cfg.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.MemoryUsage == 0 {
			t.Errorf("stats: %+v", st)
		}
	})
	t.Run("isolation", func(t *testing.T) {
		secret := filepath.Join(os.TempDir(), fmt.Sprintf("wharf-host-secret-%d", host))
		if err := os.WriteFile(secret, []byte("host only"), 0o600); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(secret)
		var ps bytes.Buffer
		if _, err := d.ExecTask(ctx(t), cfg.ID, &drivers.ExecOptions{Command: []string{"/bin/ps", "-o", "comm"}, Stdout: &ps}); err != nil {
			t.Fatal(err)
		}
		for _, name := range strings.Fields(ps.String())[1:] {
			if name != "httpd" && name != "ps" {
				t.Errorf("the jail sees a process %q that is not its own:\n%s", name, ps.String())
			}
		}
		checks := []struct{ script, want string }{
			{"cat " + secret + " 2>/dev/null || echo absent", "absent"},
			{"(echo 999999999 > /sys/fs/cgroup/memory/memory.limit_in_bytes) 2>/dev/null && echo raised || echo refused", "refused"},
			{"cat /sys/fs/cgroup/memory/memory.limit_in_bytes", "67108864"},
			{"mknod /tmp/sda b 8 0 2>/dev/null && echo made || echo refused", "refused"},
			{"cat /proc/kcore 2>/dev/null | head -c 1 | wc -c", "0"},
		}
		for _, c := range checks {
			var out bytes.Buffer
			if _, err := d.ExecTask(ctx(t), cfg.ID, &drivers.ExecOptions{Command: []string{"/bin/sh", "-c", c.script}, Stdout: &out, Stderr: &out}); err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(out.String()); got != c.want {
				t.Errorf("in the jail, %q: got %q, want %q", c.script, got, c.want)
			}
		}
	})

	if err := d.StopTask(ctx(t), cfg.ID, 2*time.Second, ""); err != nil {
		t.Fatal(err)
	}
	r := waitExit(t, d, cfg.ID)
	t.Logf("exit: %+v", r)
	if err := d.DestroyTask(ctx(t), cfg.ID, false); err != nil {
		t.Fatal(err)
	}
	logs, _ := os.ReadFile(filepath.Join(cfg.LogDir, "web.stderr.0"))
	if !strings.Contains(string(logs), "GET") && !strings.Contains(string(logs), "127.0.0.1") {
		t.Logf("httpd log: %q", logs)
	}
	if left := jailLeftovers(t, o); len(left) > 0 {
		t.Errorf("left behind: %q", left)
	}
}

// TestJailsReachEachOther: a jail reaches another jail's forwarded port
// through the bridge's address (hairpin) and the other jail's address.
func TestJailsReachEachOther(t *testing.T) {
	needJails(t)
	o := options(t, newTestNet(t))
	d := pot.New(o)
	url := registry(t)
	server := taskConfig(t, url, map[string]any{"command": "/bin/httpd", "args": []any{"-f", "-p", "80", "-h", "/www"},
		"port_map": map[string]any{"http": "80"}})
	hostPort := freePort(t)
	server.Ports = []structs.PortMapping{{Label: "http", Value: hostPort}}
	client := taskConfig(t, url, map[string]any{"command": "/bin/sleep", "args": []any{"1000"}})
	for _, c := range []*drivers.TaskConfig{server, client} {
		if _, err := d.StartTask(ctx(t), c); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = d.DestroyTask(ctx(t), c.ID, true) })
	}
	get(t, fmt.Sprintf("http://127.0.0.1:%d/", hostPort))
	gw := strings.TrimSuffix(o.CIDR, "0/24") + "1"
	var ip bytes.Buffer
	if _, err := d.ExecTask(ctx(t), server.ID, &drivers.ExecOptions{Command: []string{"/bin/hostname", "-i"}, Stdout: &ip}); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{fmt.Sprintf("%s:%d", gw, hostPort), strings.TrimSpace(ip.String()) + ":80"} {
		var out bytes.Buffer
		r, err := d.ExecTask(ctx(t), client.ID, &drivers.ExecOptions{
			Command: []string{"/bin/sh", "-c", "printf 'GET / HTTP/1.0\r\n\r\n' | nc " + strings.Replace(target, ":", " ", 1)}, Stdout: &out, Stderr: &out})
		if err != nil {
			t.Fatal(err)
		}
		if r.ExitCode != 0 || !strings.HasSuffix(out.String(), "\r\n\r\nhello from the jail\n") {
			t.Errorf("from another jail, http://%s/: exit %d, %q", target, r.ExitCode, out.String())
		}
	}
}

// TestConfigKeysShapeTheJail: copy puts a host file in the rootfs,
// mount_read_only shows a host dir read-only, extra_hosts lands in
// /etc/hosts, the image's environment is under the task's, and the task
// dirs are mounted.
func TestConfigKeysShapeTheJail(t *testing.T) {
	needJails(t)
	o := options(t, newTestNet(t))
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "conf"), []byte("copied\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ro := t.TempDir()
	if err := os.WriteFile(filepath.Join(ro, "data"), []byte("shared\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o.HostVolumes = map[string]*structs.ClientHostVolumeConfig{"src": {Name: "src", Path: src}, "ro": {Name: "ro", Path: ro}}
	d := pot.New(o)
	cfg := taskConfig(t, registry(t), map[string]any{
		"command": "/bin/sleep", "args": []any{"1000"},
		"copy": []any{filepath.Join(src, "conf") + ":/etc/app.conf"}, "mount_read_only": []any{ro + ":/data"},
		"extra_hosts": []any{"db.internal:10.0.0.7"}})
	cfg.Env["WHARF_TEST"] = "task"
	if err := os.WriteFile(filepath.Join(cfg.TaskDir, "local", "note"), []byte("local\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := d.StartTask(ctx(t), cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.DestroyTask(ctx(t), cfg.ID, true) })
	script := "cat /etc/app.conf /data/data /local/note; grep db.internal /etc/hosts; echo $WHARF_TEST $PATH $NOMAD_TASK_DIR; " +
		"touch /data/x 2>/dev/null && echo writable || echo read-only"
	var out bytes.Buffer
	if _, err := d.ExecTask(ctx(t), cfg.ID, &drivers.ExecOptions{Command: []string{"/bin/sh", "-c", script}, Stdout: &out, Stderr: &out}); err != nil {
		t.Fatal(err)
	}
	want := "copied\nshared\nlocal\n10.0.0.7\tdb.internal\ntask /bin /local\nread-only\n"
	if out.String() != want {
		t.Errorf("inside the jail:\n%s\nwant:\n%s", out.String(), want)
	}
}
