package e2e

import (
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// listeningPorts lists the TCP ports process pid listens on, from ss.
func listeningPorts(t *testing.T, pid int) []int {
	t.Helper()
	out, err := exec.Command("ss", "-Hltnp").Output()
	if err != nil {
		t.Fatalf("ss: %v", err)
	}
	re := regexp.MustCompile(`:(\d+)\s.*pid=` + strconv.Itoa(pid) + `,`)
	var ports []int
	for _, line := range strings.Split(string(out), "\n") {
		if m := re.FindStringSubmatch(line); m != nil {
			p, _ := strconv.Atoi(m[1])
			if !slices.Contains(ports, p) {
				ports = append(ports, p)
			}
		}
	}
	slices.Sort(ports)
	return ports
}

// addHostAddr puts addr (a /32) on a new interface of the host, removed
// at the end of t: an address the host gained after the agent started.
func addHostAddr(t *testing.T, name, addr string) {
	t.Helper()
	if err := netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name}}); err != nil {
		t.Fatalf("add %s: %v", name, err)
	}
	t.Cleanup(func() {
		if l, err := netlink.LinkByName(name); err == nil {
			_ = netlink.LinkDel(l)
		}
	})
	l, err := netlink.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	a, err := netlink.ParseAddr(addr + "/32")
	if err != nil {
		t.Fatal(err)
	}
	if err := netlink.AddrAdd(l, a); err != nil {
		t.Fatal(err)
	}
	if err := netlink.LinkSetUp(l); err != nil {
		t.Fatal(err)
	}
}

// probeRounds returns the probe lines of each finished round in a jail's
// log: "BLOCKED ip:port" or "REACHED ip:port ...".
func probeRounds(log string) [][]string {
	var rounds [][]string
	var cur []string
	for _, line := range strings.Split(log, "\n") {
		switch {
		case strings.HasPrefix(line, "BLOCKED ") || strings.HasPrefix(line, "REACHED "):
			cur = append(cur, line)
		case line == "ROUND-END":
			rounds = append(rounds, cur)
			cur = nil
		}
	}
	return rounds
}

// TestPotJailAttacksEveryAgentPort: an agent listening on every address
// with every port moved off its default; a jail probes each TCP port the
// agent process listens on (found with ss, so a listener the guard does
// not know of shows up), DNS and the ingress aside, on the bridge
// gateway, the host's address and an address the host gained after the
// agent started. All are refused. After the agent is killed and started
// again on the same data dir (the jail keeps running), they still are.
func TestPotJailAttacksEveryAgentPort(t *testing.T) {
	ports := map[string]int{}
	args := []string{"-bind", "0.0.0.0", "-data-dir", t.TempDir()}
	for _, f := range []string{"-http-port", "-registry-port", "-consul-port", "-dns-port", "-ingress-port", "-dashboard-port"} {
		ports[f] = freePort(t)
		args = append(args, f, strconv.Itoa(ports[f]))
	}
	e := startPotAgent(t, args...)
	listening := listeningPorts(t, e.a.cmd.Process.Pid)
	var guarded []int
	for _, p := range listening {
		if p != ports["-dns-port"] && p != ports["-ingress-port"] {
			guarded = append(guarded, p)
		}
	}
	for _, f := range []string{"-http-port", "-registry-port", "-consul-port", "-dashboard-port"} {
		if !slices.Contains(guarded, ports[f]) {
			t.Fatalf("ss does not show the agent listening on %s %d: %v", f, ports[f], listening)
		}
	}
	n := strings.TrimPrefix(e.bridge, "we")
	late := "198.51.100." + n
	addHostAddr(t, "wa"+n, late)
	_, cidr, err := net.ParseCIDR(e.cidr)
	if err != nil {
		t.Fatal(err)
	}
	gw := cidr.IP.To4()
	gw[3] = 1
	hosts := []string{gw.String(), late}
	if h := hostAddr(t); h != "" {
		hosts = append(hosts, h)
	}
	var targets []string
	for _, h := range hosts {
		for _, p := range guarded {
			targets = append(targets, net.JoinHostPort(h, strconv.Itoa(p)))
		}
	}
	// The control: the ingress stays open to jails, so its probe must
	// read REACHED, which shows a refusal is told from an answer.
	control := net.JoinHostPort(gw.String(), strconv.Itoa(ports["-ingress-port"]))
	targets = append(targets, control)
	script := "while true; do for a in $TARGETS; do wget -O /dev/null http://$a/ >/tmp/o 2>&1; " +
		"if grep -q refused /tmp/o; then echo BLOCKED $a; else echo REACHED $a; cat /tmp/o; fi; done; echo ROUND-END; sleep 1; done"
	job := e.jailJob(t, "jail-attack", script, "", fmt.Sprintf("      env {\n        TARGETS = %q\n      }", strings.Join(targets, " ")))
	id := e.runJailJob(t, "jail-attack", job)
	check := func(when string, after int) int {
		var rounds [][]string
		var out string
		waitFor(t, 60*time.Second, "two probe rounds "+when, func() bool {
			out, _ = run(t, e.a.addr, "alloc", "logs", id)
			rounds = probeRounds(out)
			return len(rounds) >= after+2
		})
		for _, line := range rounds[after+1] {
			if strings.HasPrefix(line, "REACHED "+control) {
				continue
			}
			if !strings.HasPrefix(line, "BLOCKED ") {
				t.Errorf("%s, from the jail: %s", when, line)
			}
		}
		if !slices.Contains(rounds[after+1], "REACHED "+control) {
			t.Errorf("%s: the ingress at %s was not reached from the jail: %q", when, control, rounds[after+1])
		}
		if len(rounds[after+1]) != len(targets) {
			t.Errorf("%s: %d probes in a round, want %d", when, len(rounds[after+1]), len(targets))
		}
		if t.Failed() {
			t.Logf("the jail's log %s:\n%s", when, out)
		}
		return len(rounds)
	}
	seen := check("with the agent up", 0)
	t.Logf("%d targets: agent ports %v on %v", len(targets), guarded, hosts)

	e.a.kill()
	b := startAgent(t, append([]string{"-dev", "-config", e.config}, args...)...)
	e.a = b
	c := b.client(t)
	waitFor(t, 45*time.Second, "the jail re-attached", func() bool { return len(runningAllocs(t, c, "jail-attack")) == 1 })
	check("after the agent was killed and started again", seen)
	if out, code := run(t, b.addr, "job", "stop", "jail-attack"); code != 0 {
		t.Fatalf("job stop: %d\n%s", code, out)
	}
	e.waitClean(t, id)
}
