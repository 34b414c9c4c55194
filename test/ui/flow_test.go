package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// webJob is examples/hello.job with its greeting also on stdout, so the
// allocation page has a log line to show.
const webJob = `job "web" {
  datacenters = ["minipot"]

  group "web" {
    count = 1

    network {
      port "http" {}
    }

    task "httpd" {
      driver = "raw_exec"

      config {
        command = "/bin/sh"
        args = ["-c", "echo \"hello from $NOMAD_ALLOC_ID\" | tee local/index.html && exec busybox httpd -f -v -p $NOMAD_PORT_http -h local"]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`

// The pages are found by their roles and texts, as a user finds them,
// plus the data attributes the app sets on table rows.
const (
	runningAllocRows = `document.querySelectorAll('tr[data-alloc][data-status=running]').length`
	pageText         = `document.querySelector('main').innerText`
	visibleAlert     = `[...document.querySelectorAll('[role=alert]')].filter(e => !e.hidden && e.offsetParent !== null)`
)

// clickButton clicks the visible, enabled button whose text is label.
func clickButton(t testing.TB, ctx context.Context, label string) {
	t.Helper()
	js := fmt.Sprintf(`(() => {
		const b = [...document.querySelectorAll('button')].find(b => b.textContent.trim() === %q && !b.disabled && b.offsetParent !== null);
		if (!b) return false;
		b.click();
		return true;
	})()`, label)
	evalUntil(t, ctx, 15*time.Second, "button "+label, js, pageText)
}

// clickLink clicks the first visible link whose href is href.
func clickLink(t testing.TB, ctx context.Context, href string) {
	t.Helper()
	js := fmt.Sprintf(`(() => {
		const a = [...document.querySelectorAll('a')].find(a => a.getAttribute('href') === %q && a.getClientRects().length > 0);
		if (!a) return false;
		a.click();
		return true;
	})()`, href)
	evalUntil(t, ctx, 15*time.Second, "link "+href, js, pageText)
}

// waitVisible waits until an element matching the CSS selector shows.
func waitVisible(t testing.TB, ctx context.Context, css string) {
	t.Helper()
	evalUntil(t, ctx, 20*time.Second, css+" to show",
		fmt.Sprintf(`[...document.querySelectorAll(%q)].some(e => e.offsetParent !== null || e.getClientRects().length > 0)`, css),
		`location.pathname + ' | ' + `+pageText)
}

// waitText waits until the page's main area shows s.
func waitText(t testing.TB, ctx context.Context, s string) {
	t.Helper()
	evalUntil(t, ctx, 20*time.Second, fmt.Sprintf("page to show %q", s),
		fmt.Sprintf(`(%s).includes(%q)`, pageText, s), pageText)
}

// waitCount waits until the JS expression expr equals n.
func waitCount(t testing.TB, ctx context.Context, what, expr string, n int) {
	t.Helper()
	evalUntil(t, ctx, 30*time.Second, fmt.Sprintf("%s = %d", what, n), fmt.Sprintf(`(%s) === %d`, expr, n),
		fmt.Sprintf(`String(%s) + ' | ' + %s`, expr, pageText))
}

// jobSpec is a job the lifecycle test runs from the editor.
type jobSpec struct {
	hcl, id, group string
	// logLine makes the allocation log something (when it needs a
	// nudge) and returns a line its logs then show.
	logLine func(t *testing.T, a *agentProc, allocID string) string
}

// TestJobLifecycle is a user's session with a raw_exec job (see
// runLifecycle).
func TestJobLifecycle(t *testing.T) {
	needBrowser(t)
	a := startDevAgent(t)
	runLifecycle(t, a, jobSpec{hcl: webJob, id: "web", group: "web",
		logLine: func(_ *testing.T, _ *agentProc, allocID string) string { return "hello from " + allocID }})
}

// runLifecycle is a user's session: run a job from the editor (plan,
// confirm), watch its allocation start without reloading, read its log,
// run a command in it through Exec, scale it to 2, stop it.
func runLifecycle(t *testing.T, a *agentProc, job jobSpec) {
	t.Helper()
	ctx := newTab(t, 90*time.Second)
	shots := newShooter(t, ctx)
	jobHref := "/ui/jobs/" + job.id

	run(t, ctx, "open the UI", chromedp.Navigate(a.addr+"/"))
	waitText(t, ctx, "No jobs yet")
	// A marker that a full page load would erase: every step below must
	// happen without one.
	eval[bool](t, ctx, `window.__noReload = true`)
	shots.shot("jobs-empty")

	clickLink(t, ctx, "/ui/run")
	waitVisible(t, ctx, `#job-source`)
	eval[bool](t, ctx, fmt.Sprintf(`(() => {
		const ta = document.querySelector('#job-source');
		ta.value = %q;
		ta.dispatchEvent(new Event('input', {bubbles: true}));
		return true;
	})()`, job.hcl))
	clickButton(t, ctx, "Plan")
	waitText(t, ctx, "Plan for "+job.id)
	shots.shot("plan")
	clickButton(t, ctx, "Run")

	// The job page shows the allocation turning running, live.
	waitCount(t, ctx, "running allocation rows", runningAllocRows, 1)
	if !eval[bool](t, ctx, fmt.Sprintf(`location.pathname === %q && window.__noReload === true`, jobHref)) {
		t.Fatal("the page reloaded or did not go to the job")
	}
	shots.shot("job-running")
	allocID := eval[string](t, ctx, `document.querySelector('tr[data-alloc][data-status=running]').dataset.alloc`)

	clickLink(t, ctx, "/ui/allocations/"+allocID)
	waitText(t, ctx, job.logLine(t, a, allocID))
	shots.shot("allocation-logs")

	clickButton(t, ctx, "Exec")
	waitTermState(t, ctx, "running")
	typeInTerminal(t, ctx, "echo hello-$((6*7))\r")
	waitTermText(t, ctx, "hello-42")
	shots.shot("exec")
	typeInTerminal(t, ctx, "exit\r")
	waitTermState(t, ctx, "exited")
	clickButton(t, ctx, "×")
	evalUntil(t, ctx, 5*time.Second, "terminal to close", `!document.querySelector('[data-test=terminal]')`, "")

	clickLink(t, ctx, jobHref)
	groupRow := fmt.Sprintf(`tr[data-group=%q]`, job.group)
	waitVisible(t, ctx, groupRow+` input`)
	eval[bool](t, ctx, fmt.Sprintf(`(() => {
		const row = document.querySelector(%q);
		row.querySelector('input').value = '2';
		[...row.querySelectorAll('button')].find(b => b.textContent.trim() === 'Scale').click();
		return true;
	})()`, groupRow))
	waitCount(t, ctx, "running allocation rows", runningAllocRows, 2)
	if n := len(a.runningAllocs(t, job.id)); n != 2 {
		t.Fatalf("the API has %d running allocations, want 2", n)
	}
	shots.shot("job-scaled")

	clickButton(t, ctx, "Stop")
	clickButton(t, ctx, "Yes, stop")
	waitCount(t, ctx, "running allocation rows", runningAllocRows, 0)
	var stopped struct{ Stop bool }
	a.apiCall(t, http.MethodGet, "/v1/job/"+job.id, nil, &stopped)
	if !stopped.Stop {
		t.Fatal("the job is not stopped")
	}
	if !eval[bool](t, ctx, `window.__noReload === true`) {
		t.Fatal("the page reloaded during the session")
	}
	shots.shot("job-stopped")
}

// TestAPIErrorShownInPlace stops the agent under an open page: the page
// keeps what it showed and says what failed, instead of going blank.
func TestAPIErrorShownInPlace(t *testing.T) {
	needBrowser(t)
	a := startDevAgent(t)
	a.registerHCL(t, helloJob(t))
	ctx := newTab(t, 60*time.Second)
	shots := newShooter(t, ctx)

	run(t, ctx, "open the jobs page", chromedp.Navigate(a.addr+"/ui/jobs"))
	waitText(t, ctx, "hello")
	shots.shot("jobs")

	// Like Ctrl-C: a killed agent would leave its raw_exec task running
	// (tasks outlive a crashed agent by design).
	a.shutdown()
	evalUntil(t, ctx, 30*time.Second, "a visible error banner", visibleAlert+`.length > 0`, pageText)
	alert := eval[string](t, ctx, visibleAlert+`.map(e => e.innerText).join(' | ')`)
	if strings.TrimSpace(alert) == "" {
		t.Fatal("the error banner is empty")
	}
	t.Logf("banner: %s", alert)
	if !eval[bool](t, ctx, `(`+pageText+`).includes('hello')`) {
		t.Fatalf("the page lost its content: %q", eval[string](t, ctx, pageText))
	}
	shots.shot("jobs-agent-down")
}
