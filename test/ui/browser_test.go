package ui_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumNames are the commands tried, in order, to find a browser.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"}

// browser is the one headless Chromium the package's tests share; each
// test opens its own tab.
var browser struct {
	once   sync.Once
	path   string
	ctx    context.Context
	cancel func()
	err    error
}

// findChromium returns the browser's path, or "".
func findChromium() string {
	if p := os.Getenv("WHARF_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range chromiumNames {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// needBrowser returns the shared browser's context. Without chromium it
// skips the test, or fails it when CI is set.
func needBrowser(t testing.TB) context.Context {
	t.Helper()
	browser.once.Do(startBrowser)
	if browser.path == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium not found (tried %s; set WHARF_CHROMIUM): the browser tests must run in CI", strings.Join(chromiumNames, ", "))
		}
		t.Skipf("chromium not found (tried %s; set WHARF_CHROMIUM); install Debian's chromium to run the browser tests", strings.Join(chromiumNames, ", "))
	}
	if browser.err != nil {
		t.Fatalf("start chromium %s: %v", browser.path, browser.err)
	}
	return browser.ctx
}

// startBrowser launches headless Chromium once.
func startBrowser() {
	browser.path = findChromium()
	if browser.path == "" {
		return
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser.path),
		chromedp.NoSandbox, // tests run as root in CI containers
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	browser.ctx = ctx
	browser.cancel = func() { cancelCtx(); cancelAlloc() }
	// The first run starts the browser; it must get the browser's own
	// context, since cancelling the context of that run ends the browser.
	browser.err = chromedp.Do(ctx)
}

// stopBrowser ends the shared browser, if it was started.
func stopBrowser() {
	if browser.cancel != nil {
		browser.cancel()
	}
}

// newTab opens a browser tab for the test, closed when the test ends;
// every action on it must finish within d.
func newTab(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	parent := needBrowser(t)
	tab, cancelTab := chromedp.NewContext(parent)
	ctx, cancel := context.WithTimeout(tab, d)
	t.Cleanup(func() { cancel(); cancelTab() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	return ctx
}

// artifactsDir is where screenshots go: $WHARF_UI_ARTIFACTS/<test>, or a
// temp dir of the test.
func artifactsDir(t testing.TB) string {
	t.Helper()
	root := os.Getenv("WHARF_UI_ARTIFACTS")
	if root == "" {
		return t.TempDir()
	}
	dir := filepath.Join(root, strings.ReplaceAll(t.Name(), "/", "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shooter saves numbered full-page screenshots of one test's tab.
type shooter struct {
	t   testing.TB
	ctx context.Context
	dir string
	n   int
}

func newShooter(t testing.TB, ctx context.Context) *shooter {
	t.Helper()
	return &shooter{t: t, ctx: ctx, dir: artifactsDir(t)}
}

// shot saves a screenshot named after what the page shows; a failure to
// capture is logged, not fatal.
func (s *shooter) shot(name string) {
	s.t.Helper()
	s.n++
	png, err := chromedp.Run(s.ctx, chromedp.FullScreenshot(100)) // quality 100: PNG
	if err != nil {
		s.t.Logf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(s.dir, fmt.Sprintf("%02d-%s.png", s.n, name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		s.t.Logf("screenshot %s: %v", name, err)
		return
	}
	s.t.Logf("screenshot: %s", path)
}

// run runs browser actions on the tab and fails the test on error, with
// what it was doing.
func run(t testing.TB, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JS expression in the page (awaiting a promise) and
// fails the test on error.
func eval[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// evalUntil evaluates expr in the page until it returns true or d passes;
// on timeout it reports the value of diag (a JS expression) too.
func evalUntil(t testing.TB, ctx context.Context, d time.Duration, what, expr, diag string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			var got string
			if diag != "" {
				got, _ = chromedp.Run(ctx, chromedp.Evaluate[string](diag))
			}
			t.Fatalf("timed out waiting for %s (last error: %v); page shows: %q", what, err, got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
