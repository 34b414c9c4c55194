package e2e

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"

	"github.com/wharf-project/wharf/internal/netjail"
)

// jailJob writes a one-task pot job on the hello-web image whose task
// runs the shell script script (no single quotes in it), with extra lines in its config block and
// the task block, and returns the job file's path.
func (e *potEnv) jailJob(t *testing.T, name, script, config, task string) string {
	t.Helper()
	job := fmt.Sprintf(`job %q {
  datacenters = ["minipot"]
  type = "service"
  group "g" {
    network {
      port "http" {}
    }
    task "t" {
      driver = "pot"
      config {
        image = %q
        pot = "hello-web"
        tag = "1.0"
        command = "/bin/sh"
        args = ["-c", %q]
        port_map = { http = "8080" }
%s
      }
%s
      resources {
        cpu = 100
        memory = 32
      }
    }
  }
}
`, name, e.reg, "'"+script+"'", config, task)
	path := filepath.Join(t.TempDir(), name+".job")
	if err := os.WriteFile(path, []byte(job), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// runJailJob runs the job file and waits for its allocation to run,
// returning the allocation's ID.
func (e *potEnv) runJailJob(t *testing.T, name, path string) string {
	t.Helper()
	if out, code := run(t, e.a.addr, "job", "run", "-detach", path); code != 0 {
		t.Fatalf("job run %s: %d\n%s", name, code, out)
	}
	c := e.a.client(t)
	waitFor(t, 60*time.Second, name+" running", func() bool { return len(runningAllocs(t, c, name)) == 1 })
	return runningAllocs(t, c, name)[0].ID
}

// TestPotJailEnvIsolated: a variable exported in the agent's environment
// (and the agent's PATH and OLDPWD) never reaches a jail, while the
// job's env, NOMAD_* variables and the image's PATH do.
func TestPotJailEnvIsolated(t *testing.T) {
	t.Setenv("WHARF_OPERATOR_SECRET", "leaked-4f1c")
	t.Setenv("OLDPWD", "/root/agent-oldpwd")
	t.Setenv("PATH", "/agent-only/bin:"+os.Getenv("PATH"))
	e := startPotAgent(t)
	job := e.jailJob(t, "jail-env", "env; echo env-done; exec sleep 3600", "",
		`      env {
        JOB_VAR = "from-the-job"
      }`)
	id := e.runJailJob(t, "jail-env", job)
	var out string
	deadline := time.Now().Add(20 * time.Second)
	for out, _ = run(t, e.a.addr, "alloc", "logs", id); !strings.Contains(out, "env-done"); out, _ = run(t, e.a.addr, "alloc", "logs", id) {
		if time.Now().After(deadline) {
			st, _ := run(t, e.a.addr, "alloc", "status", id)
			t.Fatalf("no env in the jail's logs:\n%s\n%s", out, st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, leak := range []string{"WHARF_OPERATOR_SECRET", "leaked-4f1c", "agent-oldpwd", "/agent-only/bin"} {
		if strings.Contains(out, leak) {
			t.Errorf("the jail inherited %q from the agent:\n%s", leak, out)
		}
	}
	for _, want := range []string{"JOB_VAR=from-the-job", "NOMAD_ALLOC_ID=" + id, "NOMAD_TASK_NAME=t", "NOMAD_PORT_http=8080", "PATH="} {
		if !strings.Contains(out, want) {
			t.Errorf("the jail lacks %q:\n%s", want, out)
		}
	}
	if out, code := run(t, e.a.addr, "job", "stop", "jail-env"); code != 0 {
		t.Fatalf("job stop: %d\n%s", code, out)
	}
	e.waitClean(t, id)
}

// hostAddr returns a global IPv4 address of the host, or "".
func hostAddr(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && n.IP.IsGlobalUnicast() && !strings.HasPrefix(n.IP.String(), "10.2") {
			return n.IP.String()
		}
	}
	return ""
}

// TestPotJailCannotReachAgent: an agent listening on every address; from
// inside a jail its API is refused on the bridge gateway and on the
// host's own address, while the agent's DNS still answers it and its
// port forward from the host still works. Stopping the agent removes the rules.
func TestPotJailCannotReachAgent(t *testing.T) {
	dnsPort := freePort(t)
	e := startPotAgent(t, "-bind", "0.0.0.0", "-dns-port", strconv.Itoa(dnsPort))
	_, cidr, err := net.ParseCIDR(e.cidr)
	if err != nil {
		t.Fatal(err)
	}
	gw := cidr.IP.To4()
	gw[3] = 1
	api := strings.TrimPrefix(e.a.addr, "http://127.0.0.1:")
	targets := gw.String() + ":" + api
	if h := hostAddr(t); h != "" {
		targets += " " + h + ":" + api
	}
	script := "mkdir -p /tmp/w && echo fwd-ok > /tmp/w/index.html && httpd -p 8080 -h /tmp/w; sleep 1; " +
		"for a in $TARGETS; do if wget -q -O /dev/null http://$a/v1/status/leader; then echo REACHED $a; else echo BLOCKED $a; fi; done; " +
		"nslookup -type=srv nothing.service.wharf $GW:$DNS_PORT 2>&1; echo PROBES-DONE; exec sleep 3600"
	job := e.jailJob(t, "jail-guard", script, "", fmt.Sprintf(`      env {
        TARGETS = %q
        GW = %q
        DNS_PORT = "%d"
      }`, targets, gw, dnsPort))
	id := e.runJailJob(t, "jail-guard", job)
	var out string
	waitFor(t, 30*time.Second, "the jail's probes", func() bool {
		out, _ = run(t, e.a.addr, "alloc", "logs", id)
		return strings.Contains(out, "PROBES-DONE")
	})
	for _, target := range strings.Fields(targets) {
		if !strings.Contains(out, "BLOCKED "+target) {
			t.Errorf("the jail reached the agent's API at %s:\n%s", target, out)
		}
	}
	alloc, _, err := e.a.client(t).Allocations().Info(id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if code, body, err := httpGet("http://" + hostPort(t, alloc, "http") + "/"); err != nil || code != 200 || !strings.Contains(body, "fwd-ok") {
		t.Errorf("the jail's port forward from the host: %d %q %v", code, body, err)
	}
	if strings.Contains(out, "timed out") || strings.Contains(out, "no servers could be reached") {
		t.Errorf("the agent's DNS did not answer the jail:\n%s", out)
	}
	e.a.stop(t)
	if left, err := netjail.Leftovers(e.bridge, e.table); err != nil || len(left) > 0 {
		t.Errorf("left after the agent stopped: %q, %v", left, err)
	}
	conn, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	if tab, err := conn.ListTableOfFamily(e.table, nftables.TableFamilyIPv4); err == nil && tab != nil {
		t.Errorf("the table %s with the guard rules is still there after the agent stopped", e.table)
	}
}

// TestPotHostVolumes: `mount = ["/:/host"]` is refused at submit with the
// reason; mounts inside declared host volumes work, a read-only volume's
// mount is read-only, and a symlink out of a volume is refused by the
// client with a task event, the jail never starting.
func TestPotHostVolumes(t *testing.T) {
	dir := t.TempDir()
	rw, ro := filepath.Join(dir, "rw"), filepath.Join(dir, "ro")
	for _, d := range []string{rw, ro} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(ro, "in.txt"), []byte("from-the-host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc", filepath.Join(rw, "escape")); err != nil {
		t.Fatal(err)
	}
	e := startPotAgentWith(t, fmt.Sprintf("  host_volume \"rw\" {\n    path = %q\n  }\n  host_volume \"ro\" {\n    path = %q\n    read_only = true\n  }\n", rw, ro))

	root := e.jailJob(t, "vol-root", "ls /host; exec sleep 3600", `        mount = ["/:/host"]`, "")
	out, code := run(t, e.a.addr, "job", "run", "-detach", root)
	if code == 0 || !strings.Contains(out, `"/:/host"`) || !strings.Contains(out, `task "t"`) || !strings.Contains(out, "host_volume") {
		t.Fatalf("job run with mount /:/host: exit %d\n%s", code, out)
	}
	if o, _ := run(t, e.a.addr, "job", "status", "vol-root"); !strings.Contains(o, "no job with ID") {
		t.Errorf("the refused job was stored:\n%s", o)
	}

	ok := e.jailJob(t, "vol-ok", "cat /ro/in.txt; echo written > /data/out.txt && echo rw-ok; touch /ro/x 2>/dev/null && echo ro-writable || echo ro-refused; echo VOL-DONE; exec sleep 3600",
		fmt.Sprintf(`        mount = [%q, %q]`, rw+":/data", ro+":/ro"), "")
	id := e.runJailJob(t, "vol-ok", ok)
	waitFor(t, 20*time.Second, "the jail's volume probes", func() bool {
		out, _ = run(t, e.a.addr, "alloc", "logs", id)
		return strings.Contains(out, "VOL-DONE")
	})
	for _, want := range []string{"from-the-host", "rw-ok", "ro-refused"} {
		if !strings.Contains(out, want) {
			t.Errorf("the jail's output lacks %q:\n%s", want, out)
		}
	}
	if b, err := os.ReadFile(filepath.Join(rw, "out.txt")); err != nil || string(b) != "written\n" {
		t.Errorf("the jail's write to the volume: %q, %v", b, err)
	}

	// The server sees /data/escape inside the volume; the client resolves
	// the symlink to /etc and refuses to start the jail.
	esc := e.jailJob(t, "vol-escape", "ls /e; exec sleep 3600", fmt.Sprintf(`        mount = [%q]`, filepath.Join(rw, "escape")+":/e"), "")
	if out, code := run(t, e.a.addr, "job", "run", "-detach", esc); code != 0 {
		t.Fatalf("job run vol-escape: %d\n%s", code, out)
	}
	c := e.a.client(t)
	waitFor(t, 30*time.Second, "a task event refusing the symlink", func() bool {
		allocs, _, err := c.Jobs().Allocations("vol-escape", false, nil)
		if err != nil || len(allocs) == 0 {
			return false
		}
		st, _ := run(t, e.a.addr, "alloc", "status", allocs[0].ID)
		return strings.Contains(st, "outside every host volume")
	})
	allocs, _, _ := c.Jobs().Allocations("vol-escape", false, nil)
	for _, a := range allocs {
		for _, ts := range a.TaskStates {
			for _, ev := range ts.Events {
				if ev.Type == "Started" {
					t.Errorf("the jail with the escaping mount started: %+v", ev)
				}
			}
		}
	}
}

// TestPotEphemeralDiskExceeded: a jail writing 30 MB with an
// ephemeral_disk of 10 MB is stopped, and its Terminated event says it
// exceeded its ephemeral_disk.
func TestPotEphemeralDiskExceeded(t *testing.T) {
	e := startPotAgent(t)
	path := e.jailJob(t, "jail-disk", "dd if=/dev/zero of=/fill bs=1048576 count=30; exec sleep 3600", "", "")
	job, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	job = []byte(strings.Replace(string(job), "group \"g\" {", "group \"g\" {\n    ephemeral_disk {\n      size = 10\n    }", 1))
	if err := os.WriteFile(path, job, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, e.a.addr, "job", "run", "-detach", path); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	c := e.a.client(t)
	var st string
	waitFor(t, 60*time.Second, "the jail stopped for its disk use", func() bool {
		allocs, _, err := c.Jobs().Allocations("jail-disk", false, nil)
		if err != nil || len(allocs) == 0 {
			return false
		}
		st, _ = run(t, e.a.addr, "alloc", "status", allocs[0].ID)
		return strings.Contains(st, "exceeded ephemeral_disk")
	})
	if !strings.Contains(st, "over its 10 MiB") {
		t.Errorf("the event does not name the limit:\n%s", st)
	}
	if out, code := run(t, e.a.addr, "job", "stop", "jail-disk"); code != 0 {
		t.Fatalf("job stop: %d\n%s", code, out)
	}
}
