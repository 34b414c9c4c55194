package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/wharf-project/wharf/bench/internal/benchrun"
	"github.com/wharf-project/wharf/internal/structs"
)

const dnsName = "catbench-dns"

// benchDNS registers 10 passing instances of one service and runs dnsperf
// against the agent's DNS port for A queries of it, then (with -peer)
// against dnsmasq serving the same 10 A records from a hosts file.
func benchDNS(ctx context.Context, e *benchEnv, o options) error {
	if _, err := exec.LookPath("dnsperf"); err != nil {
		return fmt.Errorf("dnsperf not found (apt-get install -y dnsperf): %w", err)
	}
	var regs []*structs.ServiceRegistration
	var hosts strings.Builder
	for i := 1; i <= 10; i++ {
		addr := fmt.Sprintf("10.98.0.%d", i)
		regs = append(regs, flipReg(e, fmt.Sprintf("cb-dns-%d", i), dnsName, addr, structs.HealthPassing))
		fmt.Fprintf(&hosts, "%s %s.service.wharf\n", addr, dnsName)
	}
	if err := e.api.Services().Register(regs); err != nil {
		return fmt.Errorf("register: %w", err)
	}
	queries := filepath.Join(e.root, "queries.txt")
	if err := os.WriteFile(queries, []byte(dnsName+".service.wharf A\n"), 0o600); err != nil {
		return err
	}
	fmt.Printf("\n== DNS: A queries for %s.service.wharf (10 passing instances), dnsperf -l %d, UDP, 127.0.0.1 ==\n", dnsName, o.dnsSeconds)
	fmt.Println("| server | answers | queries/s | avg latency | lost |\n|---|---|---|---|---|")
	if err := dnsperfRow(ctx, "wharf agent -dev", e.agent.dns, queries, o.dnsSeconds); err != nil {
		return err
	}
	if !o.peer {
		return nil
	}
	addr, err := startDnsmasq(ctx, e, hosts.String())
	if err != nil {
		return fmt.Errorf("peer: %w", err)
	}
	return dnsperfRow(ctx, "peer: dnsmasq, same 10 A records from a hosts file", addr, queries, o.dnsSeconds)
}

var (
	qpsLine  = regexp.MustCompile(`Queries per second:\s+([0-9.]+)`)
	latLine  = regexp.MustCompile(`Average Latency \(s\):\s+([0-9.]+)`)
	lostLine = regexp.MustCompile(`Queries lost:\s+(\d+)`)
)

// dnsperfRow checks that server answers with 10 A records, runs dnsperf
// against it and prints a table row.
func dnsperfRow(ctx context.Context, label, server, queries string, secs int) error {
	n, err := countA(server)
	if err != nil {
		return fmt.Errorf("%s: %w", label, err)
	}
	host, port, _ := net.SplitHostPort(server)
	cmd := exec.CommandContext(ctx, "dnsperf", "-s", host, "-p", port, "-d", queries, "-l", strconv.Itoa(secs))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("dnsperf against %s: %w\n%s", label, err, out)
	}
	q, l, lost := qpsLine.FindSubmatch(out), latLine.FindSubmatch(out), lostLine.FindSubmatch(out)
	if q == nil || l == nil || lost == nil {
		return fmt.Errorf("dnsperf output not understood:\n%s", out)
	}
	lat, _ := strconv.ParseFloat(string(l[1]), 64)
	qps, _ := strconv.ParseFloat(string(q[1]), 64)
	fmt.Printf("| %s | %d A | %.0f | %.3f ms | %s |\n", label, n, qps, lat*1000, lost[1])
	return nil
}

// countA asks server for the service's A records once.
func countA(server string) (int, error) {
	m := new(mdns.Msg)
	m.SetQuestion(dnsName+".service.wharf.", mdns.TypeA)
	resp, _, err := (&mdns.Client{Timeout: 2 * time.Second}).Exchange(m, server)
	if err != nil {
		return 0, err
	}
	return len(resp.Answer), nil
}

// startDnsmasq runs dnsmasq on a free loopback port serving hosts only,
// and waits until it answers.
func startDnsmasq(ctx context.Context, e *benchEnv, hosts string) (string, error) {
	if _, err := exec.LookPath("dnsmasq"); err != nil {
		return "", fmt.Errorf("dnsmasq not found (apt-get install -y dnsmasq-base): %w", err)
	}
	file := filepath.Join(e.root, "hosts")
	if err := os.WriteFile(file, []byte(hosts), 0o644); err != nil {
		return "", err
	}
	port, err := benchrun.FreePort()
	if err != nil {
		return "", err
	}
	cmd := exec.Command("dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
		"--addn-hosts="+file, "--listen-address=127.0.0.1", "--bind-interfaces", "--port="+strconv.Itoa(port),
		"--user=root", "--pid-file="+filepath.Join(e.root, "dnsmasq.pid"))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start dnsmasq: %w", err)
	}
	e.addProc(cmd)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(10 * time.Second)
	for {
		if n, err := countA(addr); err == nil && n == 10 {
			return addr, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return "", fmt.Errorf("dnsmasq on %s does not answer with 10 A records", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
