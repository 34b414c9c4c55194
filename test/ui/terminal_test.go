package ui_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// openTerminalPage loads a same-origin page of the agent (a plain asset:
// the terminal needs no app page) and opens a terminal on the alloc's
// task through window.wharfTerminal.
func openTerminalPage(t testing.TB, ctx context.Context, a *agentProc, allocID, task string) {
	t.Helper()
	run(t, ctx, "load a same-origin page", chromedp.Navigate(a.addr+"/ui/assets/terminal.css"))
	js := fmt.Sprintf(`import('/ui/assets/terminal.js').then(m => m.open({allocID: %q, task: %q})).then(() => true)`, allocID, task)
	eval[bool](t, ctx, js)
}

// termText is the JS expression for the open terminal's buffer text.
const termText = `window.wharfTerminal.current ? window.wharfTerminal.current.text() : '(no terminal)'`

// termStatus is the JS expression for the terminal's status bar text.
const termStatus = `(document.querySelector('[data-test=terminal-status]') || {}).textContent || '(no status bar)'`

// typeInTerminal focuses the terminal and types keys like a keyboard
// does: one keyDown carrying the text, then keyUp, per key ("\r" is
// Enter). chromedp.SendKeys also sends a "char" event per key, which
// Chromium turns into a second keypress, so xterm.js would see each
// character twice.
func typeInTerminal(t testing.TB, ctx context.Context, keys string) {
	t.Helper()
	run(t, ctx, "focus the terminal", chromedp.Focus(chromedp.CSS(`[data-test=terminal-screen] textarea`)))
	run(t, ctx, "type "+keys, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for _, r := range keys {
			down := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyDown, Key: string(r), Text: string(r)}
			if r == '\r' {
				down.Key, down.Code, down.WindowsVirtualKeyCode = "Enter", "Enter", 13
			}
			if _, err := cdp.Call(ctx, tg, input.DispatchKeyEvent, down); err != nil {
				return err
			}
			up := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyUp, Key: down.Key, Code: down.Code,
				WindowsVirtualKeyCode: down.WindowsVirtualKeyCode}
			if _, err := cdp.Call(ctx, tg, input.DispatchKeyEvent, up); err != nil {
				return err
			}
		}
		return nil
	}))
}

// waitTermText waits until the terminal buffer contains want.
func waitTermText(t testing.TB, ctx context.Context, want string) {
	t.Helper()
	evalUntil(t, ctx, 15*time.Second, fmt.Sprintf("terminal to show %q", want),
		fmt.Sprintf(`(%s).includes(%q)`, termText, want), termText+` + ' | status: ' + `+termStatus)
}

// waitTermState waits for the terminal session's state.
func waitTermState(t testing.TB, ctx context.Context, state string) {
	t.Helper()
	evalUntil(t, ctx, 15*time.Second, "terminal state "+state,
		fmt.Sprintf(`!!window.wharfTerminal.current && window.wharfTerminal.current.state === %q`, state), termStatus)
}

// TestTerminal runs a shell in a raw_exec task from the browser: output,
// UTF-8 both ways, resize, the exit code, and a new session after the
// websocket drops.
func TestTerminal(t *testing.T) {
	needBrowser(t)
	a := startDevAgent(t)
	a.registerHCL(t, helloJob(t))
	alloc := a.waitRunning(t, "hello", 1, 30*time.Second)[0]
	ctx := newTab(t, 45*time.Second)
	shots := newShooter(t, ctx)

	openTerminalPage(t, ctx, a, alloc.ID, "httpd")
	waitTermState(t, ctx, "running")
	typeInTerminal(t, ctx, "echo hello-$((6*7))\r")
	waitTermText(t, ctx, "hello-42")
	shots.shot("terminal")

	// UTF-8 travels as base64 of its bytes, both ways.
	typeInTerminal(t, ctx, "echo 'grüße ✓'\r")
	waitTermText(t, ctx, "\ngrüße ✓")

	// A resize reaches the shell's tty.
	run(t, ctx, "resize the window", chromedp.EmulateViewport(700, 500))
	evalUntil(t, ctx, 5*time.Second, "terminal to shrink", `window.wharfTerminal.current.term.cols < 80`, "")
	cols := eval[int](t, ctx, `window.wharfTerminal.current.term.cols`)
	typeInTerminal(t, ctx, "stty size | sed 's/ /x/'\r")
	waitTermText(t, ctx, fmt.Sprintf("x%d", cols))

	// A dropped websocket gets a new session (the old shell is gone).
	eval[bool](t, ctx, `window.wharfTerminal.current.ws.close(4000, 'test'); true`)
	waitTermText(t, ctx, "the old shell is gone")
	waitTermState(t, ctx, "running")
	typeInTerminal(t, ctx, "echo again-$((1+1))\r")
	waitTermText(t, ctx, "again-2")

	// The shell's exit code shows in the status bar; Escape then closes.
	typeInTerminal(t, ctx, "exit 3\r")
	waitTermState(t, ctx, "exited")
	status := eval[string](t, ctx, termStatus)
	if !strings.Contains(status, "exit code 3") {
		t.Fatalf("status bar = %q, want exit code 3", status)
	}
	shots.shot("terminal-exited")
	run(t, ctx, "press Escape", chromedp.KeyEvent("\x1b"))
	evalUntil(t, ctx, 5*time.Second, "terminal to close",
		`window.wharfTerminal.current === null && !document.querySelector('[data-test=terminal]')`, "")

	// A session the agent refuses says why and does not retry.
	eval[bool](t, ctx, `window.wharfTerminal.open({allocID: '00000000-0000-0000-0000-000000000000', task: 'x'}).then(() => true)`)
	waitTermState(t, ctx, "error")
	if status := eval[string](t, ctx, termStatus); !strings.Contains(status, "error: 404") {
		t.Fatalf("status bar = %q, want the agent's 404", status)
	}
	shots.shot("terminal-refused")
}
