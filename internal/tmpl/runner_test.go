package tmpl

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// watchRun is a Runner in watch mode over a fake catalog, with the passes
// it made.
type watchRun struct {
	f      *fakeCatalog
	r      *Runner
	dir    string
	dest   string
	log    *syncBuf
	mu     sync.Mutex
	passes []error
	done   chan error
	cancel context.CancelFunc
	once   sync.Once
}

// startWatch renders text to dir/out with command, until the test ends.
func startWatch(t *testing.T, f *fakeCatalog, text, command string) *watchRun {
	t.Helper()
	return startWatchWait(t, f, text, command, Wait{})
}

// startWatchWait is startWatch with a debounce.
func startWatchWait(t *testing.T, f *fakeCatalog, text, command string, wait Wait) *watchRun {
	t.Helper()
	dir := t.TempDir()
	w := &watchRun{f: f, dir: dir, dest: filepath.Join(dir, "out"), log: &syncBuf{}, done: make(chan error, 1)}
	src := filepath.Join(dir, "in.tmpl")
	if err := os.WriteFile(src, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := New(Options{Client: f.client(t), Templates: []Spec{{Source: src, Dest: w.dest, Command: command}},
		Wait: wait, Logger: slog.New(slog.NewTextHandler(w.log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	r.afterPass = func(err error) { w.mu.Lock(); w.passes = append(w.passes, err); w.mu.Unlock() }
	w.r = r
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	go func() { w.done <- r.Run(ctx) }()
	t.Cleanup(func() { w.stop(t) })
	return w
}

// stop ends the runner and checks it returns nil.
func (w *watchRun) stop(t *testing.T) {
	t.Helper()
	w.once.Do(func() {
		w.cancel()
		select {
		case err := <-w.done:
			if err != nil {
				t.Errorf("Run = %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
}

func (w *watchRun) passCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.passes)
}

func (w *watchRun) content() string {
	b, _ := os.ReadFile(w.dest)
	return string(b)
}

// waitUntil polls cond until it holds, failing the test after 10 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func countLines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

const webTemplate = `{{ range service "web" }}{{ .Address }}:{{ .Port }}
{{ end }}`

// TestWatchRendersOnChangeAndReloadsOnlyOnNewContent follows a service
// through changes that alter the output (render + command) and one that
// does not (render, no write, no command).
func TestWatchRendersOnChangeAndReloadsOnlyOnNewContent(t *testing.T) {
	f := newFakeCatalog(t)
	f.register(reg("web-1", "web", "10.0.0.1", 80, structs.HealthPassing))
	counter := filepath.Join(t.TempDir(), "reloads")
	w := startWatch(t, f, webTemplate, "echo reload >> "+counter)
	waitUntil(t, "first render", func() bool { return countLines(t, counter) == 1 })
	if got := w.content(); got != "10.0.0.1:80\n" {
		t.Fatalf("first render = %q", got)
	}

	f.register(reg("web-2", "web", "10.0.0.2", 80, structs.HealthPassing))
	waitUntil(t, "render with web-2", func() bool { return w.content() == "10.0.0.1:80\n10.0.0.2:80\n" })
	waitUntil(t, "second reload", func() bool { return countLines(t, counter) == 2 })

	// A change the template does not show: re-rendered, not rewritten.
	fi, _ := os.Stat(w.dest)
	passes := w.passCount()
	changed := reg("web-2", "web", "10.0.0.2", 80, structs.HealthPassing)
	changed.Checks[0].Output = "HTTP 200 OK"
	f.register(changed)
	waitUntil(t, "a pass for the output change", func() bool { return w.passCount() > passes })
	if n := countLines(t, counter); n != 2 {
		t.Errorf("command ran %d times, want 2 (content did not change)", n)
	}
	if fi2, _ := os.Stat(w.dest); !os.SameFile(fi, fi2) {
		t.Error("unchanged output was rewritten")
	}

	// An instance that fails its check leaves the passing list.
	f.register(reg("web-1", "web", "10.0.0.1", 80, structs.HealthCritical))
	waitUntil(t, "render without web-1", func() bool { return w.content() == "10.0.0.2:80\n" })
	waitUntil(t, "third reload", func() bool { return countLines(t, counter) == 3 })
}

// TestWatchUsesBlockingQueries checks every read after the first carries
// the index of the answer before it: pushed, never polled.
func TestWatchUsesBlockingQueries(t *testing.T) {
	f := newFakeCatalog(t)
	f.register(reg("web-1", "web", "10.0.0.1", 80, structs.HealthPassing))
	w := startWatch(t, f, `{{ range services }}{{ range service .Name }}{{ .ID }}{{ end }}{{ end }}`, "")
	waitUntil(t, "first render", func() bool { return w.content() == "web-1" })
	f.register(reg("web-2", "web", "10.0.0.2", 80, structs.HealthPassing))
	waitUntil(t, "render of both", func() bool { return w.content() == "web-1web-2" })
	f.deregister("web-1")
	waitUntil(t, "render of web-2", func() bool { return w.content() == "web-2" })
	w.stop(t)
	for _, path := range []string{"/v1/services", "/v1/service/web"} {
		reads := f.readsOf(path)
		if len(reads) < 2 {
			t.Fatalf("%s: %d reads, want a first read and blocking ones", path, len(reads))
		}
		if reads[0].index != 0 {
			t.Errorf("%s: first read has index %d", path, reads[0].index)
		}
		for i, r := range reads[1:] {
			if r.index == 0 {
				t.Errorf("%s: read %d is not blocking", path, i+1)
			}
		}
	}
}

// TestWatchStopsFollowingRemovedServices checks a service no template
// reads any more is no longer followed.
func TestWatchStopsFollowingRemovedServices(t *testing.T) {
	f := newFakeCatalog(t)
	f.register(reg("web-1", "web", "10.0.0.1", 80, structs.HealthPassing),
		reg("db-1", "db", "10.0.0.2", 5432, structs.HealthPassing))
	w := startWatch(t, f, `{{ range services }}{{ range service .Name }}{{ .ID }} {{ end }}{{ end }}`, "")
	waitUntil(t, "first render", func() bool { return w.content() == "db-1 web-1 " })
	f.deregister("db-1")
	waitUntil(t, "render without db", func() bool { return w.content() == "web-1 " })
	waitUntil(t, "db no longer followed", func() bool { return f.blocked("/v1/service/db") == 0 })
	if f.blocked("/v1/service/web") != 1 {
		t.Errorf("web is not followed")
	}
}

// TestWatchCommandFailureDoesNotStop checks a failing command is logged
// with its output and the next change still renders.
func TestWatchCommandFailureDoesNotStop(t *testing.T) {
	f := newFakeCatalog(t)
	f.register(reg("web-1", "web", "10.0.0.1", 80, structs.HealthPassing))
	w := startWatch(t, f, webTemplate, "echo config rejected; exit 7")
	waitUntil(t, "failure logged", func() bool { return strings.Contains(w.log.String(), "command failed") })
	for _, want := range []string{"config rejected", "exit status 7"} {
		if !strings.Contains(w.log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, w.log)
		}
	}
	f.register(reg("web-2", "web", "10.0.0.2", 80, structs.HealthPassing))
	waitUntil(t, "render after failure", func() bool { return w.content() == "10.0.0.1:80\n10.0.0.2:80\n" })
}

// TestWatchWaitsOutUnreachableCatalog checks a watch that starts while
// the catalog fails renders once it answers.
func TestWatchWaitsOutUnreachableCatalog(t *testing.T) {
	f := newFakeCatalog(t)
	f.register(reg("web-1", "web", "10.0.0.1", 80, structs.HealthPassing))
	f.setFailing(true)
	w := startWatch(t, f, webTemplate, "")
	waitUntil(t, "failed first pass", func() bool { return w.passCount() == 1 })
	if _, err := os.Stat(w.dest); !os.IsNotExist(err) {
		t.Fatalf("destination written after a failed render: %v", err)
	}
	f.setFailing(false)
	waitUntil(t, "render after recovery", func() bool { return w.content() == "10.0.0.1:80\n" })
}

// syncBuf is a log buffer safe for concurrent writes.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestWatchDebouncedBurstRenders checks changes held back by -wait are
// rendered once the burst is over, with the last state.
func TestWatchDebouncedBurstRenders(t *testing.T) {
	f := newFakeCatalog(t)
	f.register(reg("web-1", "web", "10.0.0.1", 80, structs.HealthPassing))
	w := startWatchWait(t, f, webTemplate, "", Wait{Min: 20 * time.Millisecond, Max: 100 * time.Millisecond})
	waitUntil(t, "first render", func() bool { return w.content() == "10.0.0.1:80\n" })
	for port := 81; port <= 85; port++ {
		f.register(reg("web-1", "web", "10.0.0.1", port, structs.HealthPassing))
	}
	waitUntil(t, "render of the last state", func() bool { return w.content() == "10.0.0.1:85\n" })
}
