package ui_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// assetsDir is the UI's source tree, as embedded in the binary.
const assetsDir = "../../internal/ui/assets"

// pageWeightLimit is the most the app (index.html, its JavaScript and
// CSS, gzipped, xterm.js excluded) may weigh.
const pageWeightLimit = 500 << 10

// gzipSize is len(gzip(b)) at the level the agent serves with.
func gzipSize(t testing.TB, b []byte) int {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Len()
}

// pageWeight sums the gzipped sizes of index.html and the JavaScript
// and CSS files, apart (vendor/, which is xterm.js) and the rest (app).
func pageWeight(t testing.TB) (app, vendor int) {
	t.Helper()
	err := filepath.WalkDir(assetsDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ext := filepath.Ext(p)
		if ext != ".html" && ext != ".js" && ext != ".mjs" && ext != ".css" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.Contains(filepath.ToSlash(p), "/vendor/") {
			vendor += gzipSize(t, b)
		} else {
			app += gzipSize(t, b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return app, vendor
}

// TestPageWeight keeps the app under its weight budget: index.html with
// all of its JavaScript and CSS, gzipped, without xterm.js.
func TestPageWeight(t *testing.T) {
	app, vendor := pageWeight(t)
	t.Logf("page weight gzipped: app %d bytes (limit %d), xterm.js and fit addon %d bytes", app, pageWeightLimit, vendor)
	if app > pageWeightLimit {
		t.Fatalf("the UI weighs %d bytes gzipped without xterm.js, over the %d budget", app, pageWeightLimit)
	}
}

// registerJobs registers n copies of hello.job named bench-000... (each a
// busybox httpd, so the list has real summaries).
func registerJobs(t testing.TB, a *agentProc, n int) {
	t.Helper()
	var job map[string]any
	a.apiCall(t, http.MethodPost, "/v1/jobs/parse", map[string]any{"JobHCL": helloJob(t), "Canonicalize": true}, &job)
	for i := range n {
		id := fmt.Sprintf("bench-%03d", i)
		job["ID"], job["Name"] = id, id
		a.apiCall(t, http.MethodPut, "/v1/jobs", map[string]any{"Job": job}, nil)
	}
}

// rowsObserver runs before the page's scripts: it notes the time the
// jobs table first has want rows.
const rowsObserver = `(() => {
	const want = %d;
	new MutationObserver((_, obs) => {
		if (document.querySelectorAll('#jobs tbody tr').length >= want) {
			window.__rowsAt = performance.now();
			obs.disconnect();
		}
	}).observe(document, {childList: true, subtree: true});
})()`

// transferJS sums the bytes the page fetched (document and resources),
// without xterm.js, and of the API's answers alone.
const transferJS = `(() => {
	const all = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
	const sum = (es) => es.reduce((n, e) => n + (e.transferSize || 0), 0);
	return [sum(all), sum(all.filter(e => !e.name.includes('/vendor/'))), sum(all.filter(e => e.name.includes('/v1/')))];
})()`

// pageFigures is one load of the jobs page.
type pageFigures struct {
	fcpMs, rowsMs       float64
	bytes, bytesNoXterm int
	bytesAPI            int
	bytesWithXterm      int
}

// loadJobsPage opens the jobs page in a fresh browser context (empty
// cache) and measures it: first contentful paint, the time the list has
// rows rows, bytes transferred, and bytes after the terminal loaded.
func loadJobsPage(t testing.TB, a *agentProc, rows int) pageFigures {
	t.Helper()
	parent := needBrowser(t)
	tab, cancelTab := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
	defer cancelTab()
	ctx, cancel := context.WithTimeout(tab, 30*time.Second)
	defer cancel()
	run(t, ctx, "load the jobs page",
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument,
				page.AddScriptToEvaluateOnNewDocumentParams{Source: fmt.Sprintf(rowsObserver, rows)})
			return err
		}),
		chromedp.Navigate(a.addr+"/ui/jobs"))
	evalUntil(t, ctx, 20*time.Second, fmt.Sprintf("%d job rows", rows), `typeof window.__rowsAt === 'number'`,
		`String(document.querySelectorAll('#jobs tbody tr').length)`)
	var f pageFigures
	evalUntil(t, ctx, 5*time.Second, "first contentful paint",
		`performance.getEntriesByName('first-contentful-paint').length > 0`, "")
	f.fcpMs = eval[float64](t, ctx, `performance.getEntriesByName('first-contentful-paint')[0].startTime`)
	f.rowsMs = eval[float64](t, ctx, `window.__rowsAt`)
	sums := eval[[]int](t, ctx, transferJS)
	f.bytes, f.bytesNoXterm, f.bytesAPI = sums[0], sums[1], sums[2]
	// Load xterm.js the way Exec does (a session on no allocation, closed
	// at once) to count its bytes too.
	eval[bool](t, ctx, `window.wharfTerminal.open({allocID: 'none'}).then(s => { s.close(); return true; })`)
	f.bytesWithXterm = eval[[]int](t, ctx, transferJS)[0]
	return f
}

// BenchmarkJobsPage measures the jobs page with 100 jobs registered:
// first contentful paint, time until the 100 rows show, and the bytes
// transferred with an empty cache (with and without xterm.js, which
// loads only when a terminal opens).
//
//	go test ./test/ui -run '^$' -bench JobsPage -benchtime 5x
func BenchmarkJobsPage(b *testing.B) {
	needBrowser(b)
	a := startDevAgent(b)
	registerJobs(b, a, 100)
	var sum pageFigures
	b.ResetTimer()
	for b.Loop() {
		f := loadJobsPage(b, a, 100)
		sum.fcpMs += f.fcpMs
		sum.rowsMs += f.rowsMs
		sum.bytes, sum.bytesNoXterm, sum.bytesAPI, sum.bytesWithXterm = f.bytes, f.bytesNoXterm, f.bytesAPI, f.bytesWithXterm
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(sum.fcpMs/n, "fcp-ms")
	b.ReportMetric(sum.rowsMs/n, "100rows-ms")
	b.ReportMetric(float64(sum.bytes), "bytes")
	b.ReportMetric(float64(sum.bytesNoXterm), "bytes-no-xterm")
	b.ReportMetric(float64(sum.bytesAPI), "bytes-api")
	b.ReportMetric(float64(sum.bytesWithXterm), "bytes-with-xterm")
	app, vendor := pageWeight(b)
	b.ReportMetric(float64(app), "app-gz-bytes")
	b.ReportMetric(float64(vendor), "xterm-gz-bytes")
}
