//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// profile samples the leader's CPU with perf for d (or until ctx ends)
// and prints where it went: the heaviest functions and the share by
// area (etcd, scheduler, state, server, Go runtime, encoding, kernel).
// perf missing or refused is reported, not an error of the run.
func profile(ctx context.Context, s *server, dir string, d time.Duration) {
	data := filepath.Join(dir, "perf.data")
	rec := exec.CommandContext(ctx, "perf", "record", "-F", "199", "-p", strconv.Itoa(s.pid()), "-o", data,
		"--", "sleep", strconv.Itoa(max(1, int(d.Seconds()))))
	if out, err := rec.CombinedOutput(); err != nil {
		fmt.Printf("c1m: perf record: %v: %s\n", err, lastLine(out))
		return
	}
	out, err := exec.Command("perf", "report", "-i", data, "--stdio", "--no-children", "--sort", "sym", "-g", "none",
		"--percent-limit", "0").Output()
	if err != nil {
		fmt.Printf("c1m: perf report: %v\n", err)
		return
	}
	type row struct {
		pct float64
		sym string
	}
	var rows []row
	areas := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || !strings.HasSuffix(f[0], "%") {
			continue
		}
		pct, err := strconv.ParseFloat(strings.TrimSuffix(f[0], "%"), 64)
		if err != nil {
			continue
		}
		kernel := f[1] == "[k]"
		sym := strings.Join(f[2:], " ")
		rows = append(rows, row{pct, sym})
		areas[area(sym, kernel)] += pct
	}
	fmt.Printf("leader %s CPU by area (perf, %s while placing):\n", s.name, d)
	var names []string
	for n := range areas {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return areas[names[i]] > areas[names[j]] })
	for _, n := range names {
		fmt.Printf("  %5.1f%%  %s\n", areas[n], n)
	}
	fmt.Println("heaviest functions:")
	for i, r := range rows {
		if i == 20 {
			break
		}
		fmt.Printf("  %5.1f%%  %s\n", r.pct, r.sym)
	}
}

// area names the part of the server a function belongs to.
func area(sym string, kernel bool) string {
	switch {
	case kernel:
		return "kernel (syscalls, network, fsync)"
	case strings.Contains(sym, "go.etcd.io/"):
		return "etcd (raft, mvcc, bbolt, grpc server side)"
	case strings.Contains(sym, "google.golang.org/grpc"):
		return "grpc (etcd client and server)"
	case strings.Contains(sym, "protobuf") || strings.Contains(sym, "gogo"):
		return "protobuf"
	case strings.Contains(sym, "/internal/scheduler"):
		return "wharf scheduler"
	case strings.Contains(sym, "/internal/state"):
		return "wharf state (index, plan apply, store)"
	case strings.Contains(sym, "/internal/server"):
		return "wharf server (API, broker, heartbeats)"
	case strings.Contains(sym, "wharf-project/wharf"):
		return "wharf other"
	case strings.HasPrefix(sym, "encoding/json") || strings.Contains(sym, "json"):
		return "encoding/json"
	case strings.HasPrefix(sym, "runtime.") || strings.HasPrefix(sym, "internal/runtime") || strings.HasPrefix(sym, "gcWriteBarrier"):
		return "Go runtime (GC, allocation, scheduling)"
	case strings.HasPrefix(sym, "net/") || strings.HasPrefix(sym, "net.") || strings.HasPrefix(sym, "syscall") || strings.HasPrefix(sym, "internal/poll"):
		return "Go net/syscall"
	default:
		return "other Go (maps, strings, sort, crypto...)"
	}
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}
