package pot_test

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/wharf-project/wharf/internal/drivers/pot"
	"github.com/wharf-project/wharf/internal/structs"
)

// TestStartErrorsNameTheCause starts tasks that cannot run: each fails
// with an error naming the cause and leaves nothing behind.
func TestStartErrorsNameTheCause(t *testing.T) {
	needJails(t)
	tn := newTestNet(t)
	o := options(t, tn)
	o.AllowHostNetwork = false
	d := pot.New(o)
	url := registry(t)
	tests := []struct {
		name string
		conf map[string]any
		want string
	}{
		{"image 404", map[string]any{"pot": "nosuch"}, "nosuch_1"},
		{"registry down", map[string]any{"image": "http://127.0.0.1:1"}, "127.0.0.1:1"},
		{"command missing", map[string]any{"command": "/usr/sbin/nginx"}, `command "/usr/sbin/nginx" is not an executable file in image bb_1`},
		{"command not in PATH", map[string]any{"command": "nginx"}, `command "nginx" is not found in image bb_1`},
		{"unknown port label", map[string]any{"port_map": map[string]any{"web": "80"}}, `config.port_map: "web" is not a port label`},
		{"bad network mode", map[string]any{"network_mode": "vnet"}, `config.network_mode: "vnet"`},
		{"host network not allowed", map[string]any{"network_mode": "host"}, `allow_host_network = true`},
		{"mount outside host volumes", map[string]any{"mount": []any{"/:/host"}}, `config.mount[0] "/:/host": the host path / is not inside any host volume`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := taskConfig(t, url, tc.conf)
			cfg.Ports = []structs.PortMapping{{Label: "http", Value: freePort(t)}}
			_, err := d.StartTask(ctx(t), cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("StartTask error %v, want it to contain %q", err, tc.want)
			}
			t.Logf("error: %v", err)
			if left := jailLeftovers(t, o); len(left) > 0 {
				t.Errorf("left behind: %q", left)
			}
		})
	}
}

// TestOOMKilled runs a jail past its memory limit.
func TestOOMKilled(t *testing.T) {
	needJails(t)
	o := options(t, newTestNet(t))
	d := pot.New(o)
	cfg := taskConfig(t, registry(t), map[string]any{"network_mode": "host",
		"command": "/bin/sh", "args": []any{"-c", "'x=$(yes | head -c 200000000); echo survived'"}})
	cfg.MemoryMB = 16
	if _, err := d.StartTask(ctx(t), cfg); err != nil {
		t.Fatal(err)
	}
	r := waitExit(t, d, cfg.ID)
	if !r.OOMKilled {
		out, _ := os.ReadFile(filepath.Join(cfg.LogDir, "web.stderr.0"))
		t.Errorf("exit %+v: want OOMKilled; stderr %q", r, out)
	}
	if err := d.DestroyTask(ctx(t), cfg.ID, false); err != nil {
		t.Fatal(err)
	}
	if left := jailLeftovers(t, o); len(left) > 0 {
		t.Errorf("left behind: %q", left)
	}
}

// TestBridgeAddressInUse makes the jail network's gateway address taken
// by another interface: the driver reports itself unhealthy with the
// reason and bridged tasks fail with it.
func TestBridgeAddressInUse(t *testing.T) {
	needJails(t)
	tn := newTestNet(t)
	dummy := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: tn.bridge + "x"}}
	if err := netlink.LinkAdd(dummy); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = netlink.LinkDel(dummy) })
	_, ipnet, _ := net.ParseCIDR(tn.cidr)
	gw := &net.IPNet{IP: ipnet.IP.To4(), Mask: ipnet.Mask}
	gw.IP = net.IPv4(gw.IP[0], gw.IP[1], gw.IP[2], 1)
	if err := netlink.AddrAdd(dummy, &netlink.Addr{IPNet: gw}); err != nil {
		t.Fatal(err)
	}
	o := options(t, tn)
	d := pot.New(o)
	if _, err := d.Reconcile(ctx(t), nil); err == nil {
		t.Fatal("Reconcile set up a jail network on a taken address")
	}
	info := d.Fingerprint(ctx(t))
	if info.Healthy || !strings.Contains(info.HealthDescription, "jail network") {
		t.Errorf("fingerprint %+v: want unhealthy naming the jail network", info)
	}
	t.Logf("fingerprint: %s", info.HealthDescription)
	cfg := taskConfig(t, registry(t), nil)
	if _, err := d.StartTask(ctx(t), cfg); err == nil || !strings.Contains(err.Error(), "jail network") {
		t.Errorf("StartTask: %v", err)
	}
}

// TestRuncMissing: without the runtime the driver is unhealthy and says
// how to fix it.
func TestRuncMissing(t *testing.T) {
	o := options(t, testNet{bridge: "wtnone", cidr: "10.251.0.0/24", table: "wharf_tnone"})
	o.RuncPath = "wharf-no-runc"
	d := pot.New(o)
	info := d.Fingerprint(ctx(t))
	if info.Healthy || !strings.Contains(info.HealthDescription, "runc") {
		t.Errorf("fingerprint %+v: want unhealthy naming runc", info)
	}
	if _, err := d.StartTask(ctx(t), taskConfig(t, "http://127.0.0.1:1", nil)); err == nil || !strings.Contains(err.Error(), "install Debian's runc package") {
		t.Errorf("StartTask: %v", err)
	}
}

// TestReconcileRemovesCrashLeftovers starts a jail, forgets the driver
// (as if the agent crashed and its state was lost), and lets a new
// driver's Reconcile clean up.
func TestReconcileRemovesCrashLeftovers(t *testing.T) {
	needJails(t)
	tn := newTestNet(t)
	o := options(t, tn)
	d := pot.New(o)
	cfg := taskConfig(t, registry(t), map[string]any{"command": "/bin/sleep", "args": []any{"1000"},
		"port_map": map[string]any{"http": "80"}})
	cfg.Ports = []structs.PortMapping{{Label: "http", Value: freePort(t)}}
	if _, err := d.StartTask(ctx(t), cfg); err != nil {
		t.Fatal(err)
	}
	if left := jailLeftovers(t, o); len(left) == 0 {
		t.Fatal("a running jail shows nothing in the leftover count")
	}
	d2 := pot.New(o)
	removed, err := d2.Reconcile(ctx(t), map[string]bool{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("removed: %q", removed)
	deadline := time.Now().Add(10 * time.Second)
	for len(jailLeftovers(t, o)) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if left := jailLeftovers(t, o); len(left) > 0 {
		t.Errorf("left behind after Reconcile: %q", left)
	}
}
