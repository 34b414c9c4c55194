package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// needRoot fails (CI) or skips a test that mounts file systems.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal("mounting a tmpfs data dir needs root")
	}
	t.Skip("mounting a tmpfs data dir needs root")
}

// smallDisk mounts a tmpfs of size MiB and unmounts it when the test
// ends.
func smallDisk(t *testing.T, size int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%dm", size)); err != nil {
		t.Fatalf("mount a tmpfs: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount the test's tmpfs %s: %v", dir, err)
		}
	})
	return dir
}

// fill writes zeros to path until the disk keeps only leave bytes free
// (0: until it is full).
func fill(t *testing.T, disk, path string, leave int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for {
		var st syscall.Statfs_t
		if err := syscall.Statfs(disk, &st); err != nil {
			t.Fatal(err)
		}
		free := int64(st.Bavail) * st.Bsize
		if free <= leave {
			return
		}
		n := min(int64(len(buf)), free-leave)
		if _, err := f.Write(buf[:n]); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return
			}
			t.Fatal(err)
		}
	}
}

// submit registers a raw_exec job named id and returns the status and
// body of the answer.
func submit(t *testing.T, addr, id string) (int, string) {
	t.Helper()
	body := fmt.Sprintf(`{"Job":{"ID":%q,"Name":%q,"Type":"service","Datacenters":["minipot"],"TaskGroups":[{"Name":"g","Count":1,
"Tasks":[{"Name":"t","Driver":"raw_exec","Config":{"command":"/bin/sleep","args":["600"]}}]}]}}`, id, id)
	resp, err := http.Post(addr+"/v1/jobs", "application/json", strings.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// jobExists reports whether the agent at addr knows job id.
func jobExists(t *testing.T, addr, id string) bool {
	t.Helper()
	resp, err := http.Get(addr + "/v1/job/" + id)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// diskAgentConfig keeps the state on disk with a reserve of 32 MiB.
func diskAgentConfig(t *testing.T, dataDir string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "agent.hcl")
	cfg := fmt.Sprintf("data_dir = %q\nlimits {\n  disk_reserve = \"32MiB\"\n}\n", dataDir)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDataDirDiskFull fills the data dir's disk under a running agent.
// Under the reserve, writes get 503 naming the full disk while reads and
// the agent go on; once space returns writes are taken again. With not
// one byte left, the agent either goes on the same way or, when etcd
// cannot commit, exits with a line naming the full disk. An agent
// started on the full disk exits non-zero saying why, and once space
// returns a restarted agent has every acknowledged job.
func TestDataDirDiskFull(t *testing.T) {
	needRoot(t)
	disk := smallDisk(t, 192)
	cfg := diskAgentConfig(t, filepath.Join(disk, "data"))
	a := startAgent(t, "-dev", "-config", cfg)
	acked := []string{}
	for _, id := range []string{"before"} {
		if code, body := submit(t, a.addr, id); code != http.StatusOK {
			t.Fatalf("submit before the disk fills: %d %s", code, body)
		}
		acked = append(acked, id)
	}
	junk := filepath.Join(disk, "junk")
	fill(t, disk, junk, 16<<20)
	var code int
	var body string
	for i := 0; ; i++ {
		id := fmt.Sprintf("while-filling-%d", i)
		if code, body = submit(t, a.addr, id); code == http.StatusOK {
			acked = append(acked, id)
		}
		if code == http.StatusServiceUnavailable || i == 100 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "disk is full") || !strings.Contains(body, "reserve") {
		t.Fatalf("write under the reserve: %d %q, want 503 naming the full disk and the reserve", code, body)
	}
	if !jobExists(t, a.addr, "before") {
		t.Fatalf("reads fail under the reserve:\n%s", a.out)
	}
	if !strings.Contains(a.out.String(), "writes refused, reads still served") {
		t.Errorf("the agent did not log why writes are refused:\n%s", a.out)
	}
	if err := os.Remove(junk); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "writes taken again", func() bool {
		code, body = submit(t, a.addr, "after")
		return code == http.StatusOK
	})
	acked = append(acked, "after")

	fill(t, disk, junk, 0)      // not one byte left
	time.Sleep(3 * time.Second) // heartbeats, the leader's and the client's work go on meanwhile
	select {
	case <-a.done:
		if !strings.Contains(a.out.String(), "fatal: the embedded etcd member cannot go on") ||
			!strings.Contains(a.out.String(), "the disk is full (ENOSPC)") {
			t.Fatalf("agent exited on a full disk without saying why:\n%s", a.out)
		}
	default:
		if code, _ := submit(t, a.addr, "refused"); code != http.StatusServiceUnavailable {
			t.Errorf("write on a full disk: %d, want 503", code)
		}
		if !jobExists(t, a.addr, "before") {
			t.Errorf("reads fail on a full disk")
		}
		a.shutdown()
	}

	// A clean stop gives back etcd's preallocated WAL segment, and the
	// stopped agent's files may go a moment after it exits: fill again
	// until the disk stays full.
	waitFor(t, 20*time.Second, "the disk stays full", func() bool {
		fill(t, disk, junk, 0)
		time.Sleep(200 * time.Millisecond)
		var st syscall.Statfs_t
		return syscall.Statfs(disk, &st) == nil && int64(st.Bavail)*st.Bsize < 1<<20
	})
	args := []string{"agent", "-dev", "-config", cfg, "-bind", "127.0.0.1"}
	for _, flag := range []string{"-http-port", "-registry-port", "-consul-port", "-dns-port", "-ingress-port", "-dashboard-port"} {
		args = append(args, flag, fmt.Sprint(freePort(t)))
	}
	// An agent that does start anyway must not hang the test.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, wharfBin, args...).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "disk is full") {
		t.Fatalf("agent started on a full disk: %v\n%s", err, out)
	}

	if err := os.Remove(junk); err != nil {
		t.Fatal(err)
	}
	b := startAgent(t, "-dev", "-config", cfg)
	for _, id := range acked {
		if !jobExists(t, b.addr, id) {
			t.Errorf("acknowledged job %q lost after the restart", id)
		}
	}
	// The alarm the guard raised before the restart is disarmed: writes
	// are taken.
	waitFor(t, 10*time.Second, "writes taken after the restart", func() bool {
		code, body = submit(t, b.addr, "restarted")
		return code == http.StatusOK
	})
	b.stop(t)
}

// TestDataDirReadOnly makes the data dir's file system read-only under a
// running agent: the agent says why writes fail (503 naming it, or, if
// etcd has to write, a fatal line naming the read-only file system
// before it exits), and after the file system is writable again a
// restarted agent has every acknowledged job.
func TestDataDirReadOnly(t *testing.T) {
	needRoot(t)
	disk := smallDisk(t, 192)
	cfg := diskAgentConfig(t, filepath.Join(disk, "data"))
	a := startAgent(t, "-dev", "-config", cfg)
	if code, body := submit(t, a.addr, "before"); code != http.StatusOK {
		t.Fatalf("submit: %d %s", code, body)
	}
	// A read-only bind mount over the data dir: what the agent opens
	// from now on is read-only.
	data := filepath.Join(disk, "data")
	if err := syscall.Mount(data, data, "", syscall.MS_BIND, ""); err != nil {
		t.Fatalf("bind mount: %v", err)
	}
	remounted := false
	unbind := func() {
		if !remounted {
			remounted = true
			if err := syscall.Unmount(data, syscall.MNT_DETACH); err != nil {
				t.Errorf("unmount the read-only bind mount: %v", err)
			}
		}
	}
	defer unbind()
	if err := syscall.Mount("", data, "", syscall.MS_REMOUNT|syscall.MS_BIND|syscall.MS_RDONLY, ""); err != nil {
		t.Fatalf("remount read-only: %v", err)
	}
	var code int
	var body string
	waitFor(t, 10*time.Second, "writes refused, or a fatal line", func() bool {
		select {
		case <-a.done:
			return true
		default:
		}
		code, body = submit(t, a.addr, "refused")
		return code == http.StatusServiceUnavailable
	})
	select {
	case <-a.done:
		if !strings.Contains(a.out.String(), "read-only file system") {
			t.Fatalf("agent exited without naming the read-only file system:\n%s", a.out)
		}
	default:
		if !strings.Contains(body, "read-only file system") {
			t.Errorf("503 body %q does not name the read-only file system", body)
		}
		if !jobExists(t, a.addr, "before") {
			t.Errorf("reads fail on a read-only data dir:\n%s", a.out)
		}
	}
	a.shutdown()
	unbind()
	b := startAgent(t, "-dev", "-config", cfg)
	if !jobExists(t, b.addr, "before") {
		t.Errorf("acknowledged job lost after the data dir was read-only:\n%s", b.out)
	}
	b.stop(t)
}
