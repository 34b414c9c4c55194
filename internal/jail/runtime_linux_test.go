package jail

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// TestRuntimeLifecycle walks one jail through create, start, state, list,
// exec, stats, kill and delete.
func TestRuntimeLifecycle(t *testing.T) {
	rt := testRuntime(t)
	ctx := testCtx(t)
	id := testID(t)
	bundle := testBundle(t, id, "/bin/sh", "-c", "echo up; exec sleep 1000")
	t.Cleanup(func() { _ = rt.Delete(context.Background(), id) })
	out, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	logFile := filepath.Join(bundle, "runc.log")
	err = rt.Create(ctx, id, CreateOptions{Bundle: bundle, PIDFile: filepath.Join(bundle, "init.pid"),
		LogFile: logFile, Stdout: out, Stderr: out})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := rt.State(ctx, id); err != nil || st.Status != "created" || st.ID != id || st.Bundle != bundle {
		t.Fatalf("state after create = %+v, %v", st, err)
	}
	if err := rt.Start(ctx, id, logFile); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the jail's output", func() bool {
		b, _ := os.ReadFile(out.Name())
		return string(b) == "up\n"
	})
	st, err := rt.State(ctx, id)
	if err != nil || st.Status != "running" || st.Pid <= 0 {
		t.Fatalf("state after start = %+v, %v", st, err)
	}
	list, err := rt.List(ctx)
	if err != nil || len(list) != 1 || list[0].ID != id || list[0].Status != "running" {
		t.Fatalf("list = %+v, %v", list, err)
	}
	cmd := rt.ExecCommand(ctx, id, false, "/bin/sh", "-c", "echo $PATH; busybox hostname")
	if b, err := cmd.Output(); err != nil || string(b) != "/bin\njailtest\n" {
		t.Errorf("exec = %q, %v", b, err)
	}
	if u, err := rt.Stats(ctx, id); err != nil || u.MemoryUsage == 0 || u.CPUTotal == 0 {
		t.Errorf("stats = %+v, %v", u, err)
	}
	if err := rt.Kill(ctx, id, "KILL"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the jail to stop", func() bool {
		st, err := rt.State(ctx, id)
		return err == nil && st.Status == "stopped"
	})
	if err := rt.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if list, err := rt.List(ctx); err != nil || len(list) != 0 {
		t.Errorf("list after delete = %+v, %v", list, err)
	}
	if err := rt.Delete(ctx, id); err != nil {
		t.Errorf("deleting a deleted jail: %v", err)
	}
}

func TestRuntimeRunExitCode(t *testing.T) {
	rt := testRuntime(t)
	ctx := testCtx(t)
	id := testID(t)
	bundle := testBundle(t, id, "/bin/sh", "-c", "echo out; echo err >&2; exit 3")
	var stdout, stderr syncBuffer
	err := rt.Run(ctx, id, RunOptions{Bundle: bundle, Stdout: &stdout, Stderr: &stderr})
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 || !strings.Contains(err.Error(), rt.Path+" run: ") {
		t.Fatalf("run = %v, want exit status 3", err)
	}
	if stdout.String() != "out\n" || stderr.String() != "err\n" {
		t.Errorf("stdout %q stderr %q", stdout.String(), stderr.String())
	}
	if list, err := rt.List(ctx); err != nil || len(list) != 0 {
		t.Errorf("left after run: %+v, %v", list, err)
	}
	if err := rt.Run(ctx, id, RunOptions{Bundle: testBundle(t, id, "/bin/true")}); err == nil {
		t.Error("a jail running a missing command succeeded")
	}
}

func TestRuntimeRunCancelKills(t *testing.T) {
	rt := testRuntime(t)
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	id := testID(t)
	bundle := testBundle(t, id, "/bin/sh", "-c", "echo ready; exec sleep 1000")
	var out syncBuffer
	errc := make(chan error, 1)
	go func() {
		errc <- rt.Run(ctx, id, RunOptions{Bundle: bundle, Stdout: &out, KillEvery: 20 * time.Millisecond})
	}()
	waitFor(t, "the jail to run", func() bool { return strings.Contains(out.String(), "ready") })
	cancel()
	select {
	case err := <-errc:
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Errorf("cancelled run = %v, want the jail's kill", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a cancelled run did not return")
	}
	if list, err := rt.List(context.Background()); err != nil || len(list) != 0 {
		t.Errorf("left after a cancelled run: %+v, %v", list, err)
	}
	if err := rt.Run(ctx, id, RunOptions{Bundle: bundle}); !errors.Is(err, context.Canceled) {
		t.Errorf("run with an ended context = %v", err)
	}
}

// TestRuntimeErrors checks that failures carry the runtime's own words,
// and that hostile container IDs are refused by the runtime, not obeyed.
func TestRuntimeErrors(t *testing.T) {
	rt := testRuntime(t)
	ctx := testCtx(t)
	if list, err := rt.List(ctx); err != nil || len(list) != 0 {
		t.Errorf("list of a fresh root = %+v, %v", list, err)
	}
	id := testID(t)
	bundle := testBundle(t, id, "/bin/nope")
	logFile := filepath.Join(bundle, "runc.log")
	err := rt.Create(ctx, id, CreateOptions{Bundle: bundle, PIDFile: filepath.Join(bundle, "init.pid"), LogFile: logFile})
	if err == nil || !strings.HasPrefix(err.Error(), "runc create: ") || !strings.Contains(err.Error(), "/bin/nope") {
		t.Errorf("create of a missing command = %v", err)
	}
	_ = rt.Delete(ctx, id)
	tests := []struct {
		name string
		op   func() error
		want string
	}{
		{"start unknown", func() error { return rt.Start(ctx, "nosuch", "") }, "runc start: "},
		{"kill unknown", func() error { return rt.Kill(ctx, "nosuch", "KILL") }, "runc kill: "},
		{"state unknown", func() error { _, err := rt.State(ctx, "nosuch"); return err }, "runc state: "},
		{"stats unknown", func() error { _, err := rt.Stats(ctx, "nosuch"); return err }, "runc events: "},
		{"id with a slash", func() error {
			return rt.Create(ctx, "../escape", CreateOptions{Bundle: bundle, PIDFile: filepath.Join(bundle, "p")})
		}, "runc create: "},
		{"id with a dot-dot", func() error { return rt.Start(ctx, "..", "") }, "runc start: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.op()
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || strings.TrimPrefix(err.Error(), tt.want) == "" {
				t.Errorf("err = %v, want %q and the runtime's message", err, tt.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(rt.Root), "escape")); err == nil {
		t.Error("a container ID with a slash reached outside the runtime's root")
	}
	if err := rt.Delete(ctx, "nosuch"); err != nil {
		t.Errorf("delete of an unknown jail: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := rt.Delete(cancelled, "nosuch"); err == nil || !errors.Is(err, context.Canceled) {
		t.Errorf("delete with an ended context = %v", err)
	}
}

func TestLookPathAndVersion(t *testing.T) {
	rt := testRuntime(t)
	v, err := rt.Version(testCtx(t))
	if err != nil || v == "" || strings.Contains(v, "runc version") || strings.Contains(v, "\n") {
		t.Errorf("version = %q, %v", v, err)
	}
	if _, err := LookPath("/nonexistent/runc"); err == nil {
		t.Error("found a runtime that does not exist")
	}
	t.Setenv("PATH", t.TempDir())
	p, err := LookPath("")
	if err == nil && !slices.Contains(fallbackRunc, p) {
		t.Errorf("without PATH, LookPath = %q, want one of %v", p, fallbackRunc)
	}
	if _, err := LookPath("runc"); err == nil {
		t.Error("an explicit name was looked up outside PATH")
	}
}
