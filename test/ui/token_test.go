package ui_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// startACLAgent runs a dev agent with ACLs on, bootstraps them and
// returns the agent and the management token once its node is ready.
func startACLAgent(t *testing.T) (*agentProc, string) {
	t.Helper()
	port := freePort(t)
	args := []string{"agent", "-dev", "-acl-enabled=true", "-bind", "127.0.0.1", "-http-port", strconv.Itoa(port)}
	for _, flag := range []string{"-registry-port", "-consul-port", "-dns-port", "-ingress-port", "-dashboard-port"} {
		args = append(args, flag, strconv.Itoa(freePort(t)))
	}
	a := &agentProc{cmd: exec.Command(wharfBin, args...), addr: fmt.Sprintf("http://127.0.0.1:%d", port),
		out: &syncBuffer{}, done: make(chan struct{})}
	a.cmd.Stdout, a.cmd.Stderr = a.out, a.out
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { a.err = a.cmd.Wait(); close(a.done) }()
	t.Cleanup(a.shutdown)
	var root string
	waitFor(t, 60*time.Second, "the ACL bootstrap", func() bool {
		resp, err := http.Post(a.addr+"/v1/acl/bootstrap", "application/json", nil)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var tok struct{ SecretID string }
		if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&tok) != nil {
			return false
		}
		root = tok.SecretID
		return true
	})
	waitFor(t, 60*time.Second, "a ready node", func() bool {
		req, _ := http.NewRequest("GET", a.addr+"/v1/nodes", nil)
		req.Header.Set("X-Nomad-Token", root)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var nodes []struct{ Status string }
		return json.NewDecoder(resp.Body).Decode(&nodes) == nil && len(nodes) == 1 && nodes[0].Status == "ready"
	})
	return a, root
}

// TestTokenPrompt: with ACLs on the UI says a token is needed; the Token
// dialog takes one, pages then load with it, and it lives only in the
// tab's session storage.
func TestTokenPrompt(t *testing.T) {
	needBrowser(t)
	a, root := startACLAgent(t)
	ctx := newTab(t, 90*time.Second)
	run(t, ctx, "open the nodes page", chromedp.Navigate(a.addr+"/ui/nodes"))
	waitText(t, ctx, "Token button")
	clickButton(t, ctx, "Token")
	if !eval[bool](t, ctx, fmt.Sprintf(`(() => { document.getElementById('token-input').value = %q; return true; })()`, root)) {
		t.Fatal("no token input")
	}
	clickButton(t, ctx, "Use token")
	waitText(t, ctx, "ready")
	if got := eval[string](t, ctx, `sessionStorage.getItem('wharf.token') || ''`); got != root {
		t.Fatalf("session storage holds %q, want the token", got)
	}
	if got := eval[string](t, ctx, `document.cookie + JSON.stringify(localStorage)`); got != "{}" {
		t.Fatalf("the token leaked to cookies or local storage: %q", got)
	}
	clickButton(t, ctx, "Token")
	clickButton(t, ctx, "Forget token")
	waitText(t, ctx, "Token button")
}

// TestTerminalWithToken: with ACLs on, the exec websocket carries the
// tab's token (as a subprotocol, browsers cannot set its headers): without
// one the terminal says it was refused, with one the shell runs.
func TestTerminalWithToken(t *testing.T) {
	needBrowser(t)
	a, root := startACLAgent(t)
	// Anonymous requests may submit and read jobs, not exec into them.
	anon := map[string]any{"Rules": `namespace "default" { capabilities = ["parse-job", "submit-job", "read-job", "list-jobs"] }`}
	req, _ := http.NewRequest("PUT", a.addr+"/v1/acl/policy/anonymous", strings.NewReader(mustJSON(t, anon)))
	req.Header.Set("X-Nomad-Token", root)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("anonymous policy: %v %v", err, resp)
	}
	a.registerHCL(t, helloJob(t))
	alloc := a.waitRunning(t, "hello", 1, 30*time.Second)[0]
	ctx := newTab(t, 60*time.Second)

	openTerminalPage(t, ctx, a, alloc.ID, "httpd")
	waitTermState(t, ctx, "error")
	if status := eval[string](t, ctx, termStatus); !strings.Contains(status, "alloc-exec") {
		t.Fatalf("refused terminal says %q, want the missing capability", status)
	}
	eval[bool](t, ctx, fmt.Sprintf(`(() => { sessionStorage.setItem('wharf.token', %q); return true; })()`, root))
	openTerminalPage(t, ctx, a, alloc.ID, "httpd")
	waitTermState(t, ctx, "running")
	typeInTerminal(t, ctx, "echo token-$((40+2))\r")
	waitTermText(t, ctx, "token-42")
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
