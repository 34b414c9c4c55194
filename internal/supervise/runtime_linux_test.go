package supervise

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ociFixture is one container to run: its spec and where to look for
// leftovers.
type ociFixture struct {
	spec *Spec
	rt   *Runtime
	// cgroupDirs are the directories runc makes for CgroupsPath (relative
	// to this process's cgroups, as runc resolves it).
	cgroupDirs []string
}

// requireRunc skips the test without root or runc, or fails it in CI.
func requireRunc(t *testing.T) string {
	t.Helper()
	requireRoot(t)
	path, err := exec.LookPath("runc")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("runc not found, and CI installs it")
		}
		t.Skip("runc not installed")
	}
	return path
}

// newOCIFixture builds a bundle whose rootfs holds only the static
// testdata/ocitask binary at /task, running it with args; edit may change
// the OCI spec.
func newOCIFixture(t *testing.T, edit func(*specs.Spec), args ...string) *ociFixture {
	t.Helper()
	runc := requireRunc(t)
	bundle := t.TempDir()
	rootfs := filepath.Join(bundle, "rootfs")
	if err := os.Mkdir(rootfs, 0o755); err != nil {
		t.Fatal(err)
	}
	buildTask(t, filepath.Join(rootfs, "task"))
	id := strings.ReplaceAll(randomID(t), "/", "-")
	cfg := baseConfig(t, runc, bundle)
	cfg.Process.Terminal = false
	cfg.Process.Args = append([]string{"/task"}, args...)
	cfg.Root = &specs.Root{Path: "rootfs", Readonly: true}
	cfg.Linux.CgroupsPath = "wharf/" + id
	if edit != nil {
		edit(cfg)
	}
	writeConfig(t, bundle, cfg)
	rt := &Runtime{Path: runc, Root: filepath.Join(t.TempDir(), "runc"), Bundle: bundle,
		ContainerID: id, CgroupsPath: cfg.Linux.CgroupsPath}
	logs := t.TempDir()
	f := &ociFixture{rt: rt, cgroupDirs: runcCgroupDirs(t, rt.CgroupsPath),
		spec: &Spec{ID: id, LogDir: logs, LogName: "web", Runtime: rt}}
	t.Cleanup(func() { f.forceCleanup(t) })
	return f
}

// buildTask builds testdata/ocitask statically to dst.
func buildTask(t *testing.T, dst string) {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(gobin, "build", "-o", dst, "./testdata/ocitask/main.go")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build ocitask: %v\n%s", err, out)
	}
}

// baseConfig returns runc's own default spec (`runc spec`).
func baseConfig(t *testing.T, runc, bundle string) *specs.Spec {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command(runc, "spec", "--bundle", dir).CombinedOutput(); err != nil {
		t.Fatalf("runc spec: %v\n%s", err, out)
	}
	var cfg specs.Spec
	if err := ReadJSON(filepath.Join(dir, "config.json"), &cfg); err != nil {
		t.Fatal(err)
	}
	return &cfg
}

func writeConfig(t *testing.T, bundle string, cfg *specs.Spec) {
	t.Helper()
	data, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// runcCgroupDirs returns where runc puts a relative cgroups path: below
// this process's own cgroup in every hierarchy.
func runcCgroupDirs(t *testing.T, cgroupsPath string) []string {
	t.Helper()
	own, err := ownCgroupDirs()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range own {
		out = append(out, filepath.Join(d, cgroupsPath))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// containers returns the IDs runc lists under the fixture's root.
func (f *ociFixture) containers(t *testing.T) []string {
	t.Helper()
	list, err := f.rt.Jail().List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range list {
		ids = append(ids, c.ID)
	}
	return ids
}

// assertGone checks that runc lists no container and its cgroup is gone.
func (f *ociFixture) assertGone(t *testing.T) {
	t.Helper()
	if ids := f.containers(t); len(ids) != 0 {
		t.Errorf("containers left: %v", ids)
	}
	for _, d := range f.cgroupDirs {
		if fileExists(d) {
			t.Errorf("cgroup left: %s", d)
		}
	}
}

// forceCleanup removes whatever a failed test left.
func (f *ociFixture) forceCleanup(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = f.rt.Jail().Delete(ctx, f.rt.ContainerID)
	for _, d := range f.cgroupDirs {
		if err := removeCgroupDir(ctx, d); err != nil {
			t.Logf("cleanup: %v", err)
		}
	}
}

// logHas reports whether a task's log stream holds s.
func logHas(spec *Spec, stream, s string) bool {
	data, _ := os.ReadFile(filepath.Join(spec.LogDir, spec.LogName+"."+stream+".0"))
	return strings.Contains(string(data), s)
}

func TestRuntimeRunsContainerToItsExit(t *testing.T) {
	t.Parallel()
	f := newOCIFixture(t, nil, "exit", "3")
	sup, dir := launch(t, f.spec)
	if sup.State.Runtime == nil || *sup.State.Runtime != *f.rt {
		t.Errorf("state runtime = %+v, want %+v", sup.State.Runtime, f.rt)
	}
	if sup.State.Cgroup == nil || !slices.Contains(f.cgroupDirs, sup.State.Cgroup.String()) {
		t.Errorf("state cgroup = %+v, want one of %v", sup.State.Cgroup, f.cgroupDirs)
	}
	ex := waitExit(t, dir)
	if ex.ExitCode != 3 || ex.Signal != 0 || ex.OOMKilled || ex.Err != "" {
		t.Errorf("exit = %+v, want code 3", ex)
	}
	<-sup.Exited
	if got := readLog(t, f.spec, "stdout"); got != "out\n" {
		t.Errorf("stdout = %q", got)
	}
	if got := readLog(t, f.spec, "stderr"); got != "err\n" {
		t.Errorf("stderr = %q", got)
	}
	f.assertGone(t)
}

func TestRuntimeStopReachesTheTask(t *testing.T) {
	tests := []struct {
		name, mode string
		timeout    time.Duration
		wantCode   int
		wantSignal syscall.Signal
	}{
		{"handled", "term", 10 * time.Second, 7, 0},
		{"ignored", "ignore", 100 * time.Millisecond, 128 + 9, syscall.SIGKILL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newOCIFixture(t, nil, tc.mode)
			_, dir := launch(t, f.spec)
			waitFor(t, "the task to be ready", func() bool { return logHas(f.spec, "stdout", "ready") })
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			ex, err := Client{Dir: dir}.Stop(ctx, syscall.SIGTERM, tc.timeout)
			if err != nil {
				t.Fatal(err)
			}
			if ex.ExitCode != tc.wantCode || ex.Signal != int(tc.wantSignal) {
				t.Errorf("exit = %+v, want code %d signal %d", ex, tc.wantCode, tc.wantSignal)
			}
			if tc.mode == "term" && !logHas(f.spec, "stdout", "got SIGTERM") {
				t.Error("the task did not log its SIGTERM")
			}
			f.assertGone(t)
		})
	}
}

func TestRuntimeReportsOOMKill(t *testing.T) {
	t.Parallel()
	limit := int64(16 << 20)
	f := newOCIFixture(t, func(s *specs.Spec) {
		mem := &specs.LinuxMemory{Limit: &limit}
		if own, _ := ownCgroupDirs(); fileExists(filepath.Join(own["memory"], "memory.memsw.limit_in_bytes")) {
			mem.Swap = &limit // no swap either
		}
		s.Linux.Resources = &specs.LinuxResources{Memory: mem}
	}, "hog")
	_, dir := launch(t, f.spec)
	ex := waitExit(t, dir)
	if !ex.OOMKilled || ex.Signal != int(syscall.SIGKILL) {
		t.Errorf("exit = %+v, want OOM killed", ex)
	}
	f.assertGone(t)
}

func TestRuntimeStartErrorIsRuncs(t *testing.T) {
	t.Parallel()
	f := newOCIFixture(t, func(s *specs.Spec) { s.Process.Args = []string{"/usr/sbin/nginx"} })
	dir := filepath.Join(t.TempDir(), "state")
	_, err := Launch(context.Background(), []string{testExe(t), "supervise"}, dir, f.spec)
	want := `runc create: unable to start container process: exec: "/usr/sbin/nginx": stat /usr/sbin/nginx: no such file or directory`
	if err == nil || err.Error() != want {
		t.Fatalf("Launch error = %v, want %q", err, want)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("state dir left behind: %v", err)
	}
	f.assertGone(t)
}

func TestRuntimeCleanupAfterSupervisorKilled(t *testing.T) {
	t.Parallel()
	f := newOCIFixture(t, nil, "tree")
	sup, _ := launch(t, f.spec)
	waitFor(t, "the task to be ready", func() bool { return logHas(f.spec, "stdout", "ready") })
	waitFor(t, "the task and its child", func() bool {
		pids, _ := sup.State.Cgroup.Procs()
		return len(pids) == 2
	})
	if err := syscall.Kill(sup.State.SupervisorPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-sup.Exited
	if ids := f.containers(t); !slices.Equal(ids, []string{f.rt.ContainerID}) {
		t.Fatalf("containers = %v, want the task's still running", ids)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := Cleanup(ctx, sup.State); err != nil {
		t.Fatal(err)
	}
	if Alive(sup.State.TaskPID, sup.State.TaskStart) {
		t.Error("the container's init survives Cleanup")
	}
	f.assertGone(t)
	if err := Cleanup(ctx, sup.State); err != nil {
		t.Errorf("second Cleanup: %v", err)
	}
}

func TestRuntimeStatsAndState(t *testing.T) {
	t.Parallel()
	f := newOCIFixture(t, nil, "term")
	_, dir := launch(t, f.spec)
	waitFor(t, "the task to be ready", func() bool { return logHas(f.spec, "stdout", "ready") })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	u, err := f.rt.Jail().Stats(ctx, f.rt.ContainerID)
	if err != nil {
		t.Fatal(err)
	}
	if u.MemoryUsage == 0 || u.MemoryMaxUsage < u.MemoryUsage || u.MemoryRSS == 0 || u.CPUTotal == 0 {
		t.Errorf("usage = %+v", u)
	}
	st, err := f.rt.Jail().State(ctx, f.rt.ContainerID)
	if err != nil || st.Status != "running" || st.Pid == 0 {
		t.Errorf("runc state = %+v, %v", st, err)
	}
	if _, err := (Client{Dir: dir}).Stop(ctx, syscall.SIGTERM, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := f.rt.Jail().Stats(ctx, f.rt.ContainerID); err == nil || !strings.Contains(err.Error(), "runc events") {
		t.Errorf("stats of a deleted container: %v", err)
	}
	f.assertGone(t)
}
