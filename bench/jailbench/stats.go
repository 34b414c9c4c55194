package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// durations is a sample of timings.
type durations []time.Duration

// pct returns the p-th percentile (0-100) by the nearest-rank method.
func (d durations) pct(p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append(durations(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := int(p/100*float64(len(s))+0.999999) - 1
	rank = max(0, min(rank, len(s)-1))
	return s[rank]
}

// mean returns the arithmetic mean.
func (d durations) mean() time.Duration {
	if len(d) == 0 {
		return 0
	}
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	return sum / time.Duration(len(d))
}

// ms formats a duration in milliseconds with one decimal.
func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// row prints one table row: name, p50, p99, mean, max.
func row(name string, d durations) {
	fmt.Printf("| %s | %s | %s | %s | %s |\n", name, ms(d.pct(50)), ms(d.pct(99)), ms(d.mean()), ms(d.pct(100)))
}

// header prints the table header of row.
func header(first string) {
	fmt.Printf("| %s | p50 | p99 | mean | max |\n|---|---|---|---|---|\n", first)
}

// buildImages runs examples/images/build.sh (build only) into out and
// returns out. It must run from the repository root.
func buildImages(ctx context.Context, wharf, out string) (string, error) {
	bin, err := filepath.Abs(wharf)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("wharf binary: %w (go build -o bin/wharf ./cmd/wharf, or pass -images)", err)
	}
	cmd := exec.CommandContext(ctx, "sh", "examples/images/build.sh")
	cmd.Env = append(os.Environ(), "BUILD_ONLY=1", "OUT_DIR="+out, "WHARF_BIN="+bin)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("examples/images/build.sh (run from the repository root): %w\n%s",
			err, strings.TrimSpace(string(b)))
	}
	return out, nil
}
