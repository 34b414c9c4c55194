//go:build linux

package ui_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/drivers/pot"
	"github.com/wharf-project/wharf/internal/netjail"
)

// seedImages are the images examples/images/build.sh builds (base names
// of their files, and tags).
var seedImages = []struct{ name, tag string }{
	{"hello-web", "1.0"},
	{"nginx-nomad-amd64-13_1", "1.1.13"},
}

// needJails fails (CI) or skips the test without root, runc, and the
// packages build.sh puts in the images.
func needJails(t *testing.T) {
	t.Helper()
	_, runc := exec.LookPath("runc")
	have := func(p string) bool { _, err := os.Stat(p); return err == nil }
	pkgs := have("/usr/sbin/nginx") && (have("/bin/busybox") || have("/usr/bin/busybox"))
	if !pkgs {
		_, aptErr := exec.LookPath("apt-get")
		pkgs = aptErr == nil && os.Geteuid() == 0 // build.sh installs them
	}
	if os.Geteuid() == 0 && runc == nil && pkgs {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal("the seed job needs root, runc, and nginx+busybox or apt-get (CI installs them)")
	}
	t.Skip("the seed job needs root, runc, and nginx+busybox or apt-get")
}

// startPotDevAgent starts a dev agent on a jail network of its own with
// the example images in its registry, and returns it with the seed job
// file pointing at that registry.
func startPotDevAgent(t *testing.T) (*agentProc, string) {
	t.Helper()
	n := rand.IntN(200) + 20
	bridge, table, cidr := fmt.Sprintf("wu%d", n), fmt.Sprintf("wharf_u%d", n), fmt.Sprintf("10.251.%d.0/24", n)
	cfg := filepath.Join(t.TempDir(), "agent.hcl")
	hcl := fmt.Sprintf("client {\n  pot {\n    bridge = %q\n    network = %q\n    nft_table = %q\n  }\n}\n", bridge, cidr, table)
	if err := os.WriteFile(cfg, []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	var dataDir string
	// Runs after the agent stopped (cleanups run last first): removes the
	// jails a failed test left, then the network.
	t.Cleanup(func() {
		if _, err := os.Stat(dataDir); dataDir != "" && err == nil {
			d := pot.New(pot.Options{Enabled: true, DataDir: filepath.Join(dataDir, "pot"), Bridge: bridge, CIDR: cidr, NFTTable: table})
			if removed, err := d.Reconcile(context.Background(), nil); len(removed) > 0 || err != nil {
				t.Logf("removed after the test: %q %v", removed, err)
			}
		}
		_ = netjail.DeleteTable(table)
		_ = netjail.DeleteBridge(bridge)
	})
	a := startDevAgent(t, "-config", cfg)
	m := regexp.MustCompile(`Registry: (http://\S+)\s+\(upload token in (\S+)\)`).FindStringSubmatch(a.out.String())
	if m == nil {
		t.Fatalf("the dev agent did not print its registry:\n%s", a.out)
	}
	reg, token := m[1], m[2]
	dataDir = filepath.Dir(token)
	out := t.TempDir()
	build := exec.Command("../../examples/images/build.sh")
	build.Env = append(os.Environ(), "WHARF_BIN="+wharfBin, "BUILD_ONLY=1", "OUT_DIR="+out)
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("examples/images/build.sh: %v\n%s", err, b)
	}
	for _, img := range seedImages {
		push := exec.Command(wharfBin, "image", "push", "-registry", reg, "-token-file", token, "-dir", out, img.name, img.tag)
		push.Env = append(os.Environ(), "WHARF_ADDR="+a.addr)
		if b, err := push.CombinedOutput(); err != nil {
			t.Fatalf("push %s: %v\n%s", img.name, err, b)
		}
	}
	src, err := os.ReadFile("../../examples/nginx.job")
	if err != nil {
		t.Fatal(err)
	}
	job := strings.Replace(string(src), "http://127.0.0.1:9080", reg, 1)
	if job == string(src) {
		t.Fatal("examples/nginx.job no longer names the dev registry http://127.0.0.1:9080")
	}
	return a, job
}

// allocPort returns the host address of an allocation's port label.
func (a *agentProc) allocPort(t *testing.T, allocID, label string) string {
	t.Helper()
	var alloc struct {
		AllocatedResources struct {
			Shared struct {
				Ports []struct {
					Label, HostIP string
					Value         int
				}
			}
		}
	}
	a.apiCall(t, http.MethodGet, "/v1/allocation/"+allocID, nil, &alloc)
	for _, p := range alloc.AllocatedResources.Shared.Ports {
		if p.Label == label {
			return fmt.Sprintf("127.0.0.1:%d", p.Value)
		}
	}
	t.Fatalf("allocation %s has no port %q", allocID, label)
	return ""
}

// TestSeedJobLifecycle runs the seed's job file (nginx in a jail, from
// images built by examples/images/build.sh) through the same session as
// TestJobLifecycle; the log line is nginx's access log of a request.
func TestSeedJobLifecycle(t *testing.T) {
	needBrowser(t)
	needJails(t)
	a, hcl := startPotDevAgent(t)
	runLifecycle(t, a, jobSpec{hcl: hcl, id: "nginx-minipot", group: "group1",
		logLine: func(t *testing.T, a *agentProc, allocID string) string {
			addr := a.allocPort(t, allocID, "http")
			waitFor(t, 15*time.Second, "nginx answering on "+addr, func() bool {
				resp, err := http.Get("http://" + addr + "/")
				if err != nil {
					return false
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return resp.StatusCode == 200
			})
			return `"GET / HTTP/1.1" 200`
		}})
}
