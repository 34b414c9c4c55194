package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/vishvananda/netlink"
)

// spoofSource is a program a jail runs to forge ARP requests on its eth0
// through a raw packet socket (CAP_NET_RAW, which jails keep): "spoof
// SENDER-IP TARGET-IP" sends, every 200 ms, "who has TARGET-IP, tell
// SENDER-IP" from the interface's own MAC, and prints a line per round.
const spoofSource = `package main

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"
)

func main() {
	ifi, err := net.InterfaceByName("eth0")
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	sender, target := net.ParseIP(os.Args[1]).To4(), net.ParseIP(os.Args[2]).To4()
	proto := uint16(0x0806)
	fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW, int(proto>>8|proto<<8))
	if err != nil {
		fmt.Println("ERR socket", err)
		os.Exit(1)
	}
	f := make([]byte, 42)
	copy(f[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(f[6:12], ifi.HardwareAddr)
	binary.BigEndian.PutUint16(f[12:], 0x0806)
	binary.BigEndian.PutUint16(f[14:], 1)
	binary.BigEndian.PutUint16(f[16:], 0x0800)
	f[18], f[19] = 6, 4
	binary.BigEndian.PutUint16(f[20:], 1)
	copy(f[22:28], ifi.HardwareAddr)
	copy(f[28:32], sender)
	copy(f[38:42], target)
	sa := &syscall.SockaddrLinklayer{Protocol: 0x0608, Ifindex: ifi.Index, Halen: 6}
	copy(sa.Addr[:], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	fmt.Println("MAC", ifi.HardwareAddr)
	for i := 0; ; i++ {
		if err := syscall.Sendto(fd, f, 0, sa); err != nil {
			fmt.Println("ERR sendto", err)
		} else {
			fmt.Println("SENT", os.Args[1], i)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
`

// buildSpoofer builds spoofSource, statically, into a new directory that
// becomes a read-only host volume of the jails.
func buildSpoofer(t *testing.T) string {
	t.Helper()
	dir, src := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte(spoofSource), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module spoof\n\ngo 1.21\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "spoof"), ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the spoofer: %v\n%s", err, out)
	}
	return dir
}

// jailAddr waits for the address a jail printed on a line "ADDR a.b.c.d".
func jailAddr(t *testing.T, e *potEnv, id string) string {
	t.Helper()
	re := regexp.MustCompile(`ADDR (\d+\.\d+\.\d+\.\d+)`)
	var addr string
	waitFor(t, 30*time.Second, "the jail's address in its log", func() bool {
		out, _ := run(t, e.a.addr, "alloc", "logs", id)
		if m := re.FindStringSubmatch(out); m != nil {
			addr = m[1]
		}
		return addr != ""
	})
	return addr
}

// neighborMAC is the host's neighbour entry for ip on bridge ("" when it
// has none, or an incomplete one).
func neighborMAC(t *testing.T, bridge, ip string) string {
	t.Helper()
	l, err := netlink.LinkByName(bridge)
	if err != nil {
		t.Fatal(err)
	}
	neighs, err := netlink.NeighList(l.Attrs().Index, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range neighs {
		if n.IP.String() == ip && len(n.HardwareAddr) == 6 {
			return n.HardwareAddr.String()
		}
	}
	return ""
}

// TestPotJailCannotSpoofARP: a real runc jail, which keeps CAP_NET_RAW,
// forges ARP requests to the bridge gateway in the name of another jail's
// address from a raw packet socket, to take that jail's traffic from the
// host. The bridge-level anti-spoofing drops them: the host never learns
// the victim's address at the attacker's MAC, while the same program's
// honest requests (its own address) do reach the host. As a control, with
// the bridge table removed, the forged requests do poison the host's
// neighbour table: the test tells a drop from frames that never left.
func TestPotJailCannotSpoofARP(t *testing.T) {
	needJails(t)
	tools := buildSpoofer(t)
	e := startPotAgentWith(t, fmt.Sprintf("  host_volume \"tools\" {\n    path = %q\n    read_only = true\n  }\n", tools))
	printAddr := "busybox ip -4 addr show eth0 | sed -n \"s/.*inet \\([0-9.]*\\).*/ADDR \\1/p\"; "
	victimID := e.runJailJob(t, "spoof-victim", e.jailJob(t, "spoof-victim", printAddr+"exec sleep 3600", "", ""))
	victim := jailAddr(t, e, victimID)
	_, cidr, err := net.ParseCIDR(e.cidr)
	if err != nil {
		t.Fatal(err)
	}
	gw := cidr.IP.To4()
	gw[3] = 1

	mount := fmt.Sprintf(`        mount = [%q]`, tools+":/tools")
	script := printAddr + "A=$(busybox ip -4 addr show eth0 | sed -n \"s/.*inet \\([0-9.]*\\).*/\\1/p\"); " +
		"/tools/spoof $A $GW & exec /tools/spoof $VICTIM $GW"
	task := fmt.Sprintf("      env {\n        GW = %q\n        VICTIM = %q\n      }", gw.String(), victim)
	attackerID := e.runJailJob(t, "spoof-attacker", e.jailJob(t, "spoof-attacker", script, mount, task))
	attacker := jailAddr(t, e, attackerID)
	var attackerMAC string
	logs := func() string { out, _ := run(t, e.a.addr, "alloc", "logs", attackerID); return out }
	waitFor(t, 30*time.Second, "forged requests sent", func() bool {
		out := logs()
		if m := regexp.MustCompile(`MAC ([0-9a-f:]{17})`).FindStringSubmatch(out); m != nil {
			attackerMAC = m[1]
		}
		return attackerMAC != "" && strings.Count(out, "SENT "+victim) >= 10
	})
	if strings.Contains(logs(), "ERR") {
		t.Fatalf("the spoofer failed:\n%s", logs())
	}
	waitFor(t, 20*time.Second, "the attacker's honest requests seen by the host", func() bool {
		return neighborMAC(t, e.bridge, attacker) == attackerMAC
	})
	if got := neighborMAC(t, e.bridge, victim); got == attackerMAC {
		t.Fatalf("the host learned the victim %s at the attacker's MAC %s", victim, got)
	}

	// The control: without the bridge table the forged requests reach the
	// host, which then sends the victim's traffic to the attacker.
	conn, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	conn.DelTable(&nftables.Table{Name: e.table, Family: nftables.TableFamilyBridge})
	if err := conn.Flush(); err != nil {
		t.Fatalf("remove the bridge table: %v", err)
	}
	waitFor(t, 20*time.Second, "the forged requests to poison the host without the anti-spoofing table", func() bool {
		return neighborMAC(t, e.bridge, victim) == attackerMAC
	})
	for _, job := range []string{"spoof-attacker", "spoof-victim"} {
		if out, code := run(t, e.a.addr, "job", "stop", job); code != 0 {
			t.Fatalf("job stop %s: %d\n%s", job, code, out)
		}
	}
	e.waitClean(t, attackerID, victimID)
}
