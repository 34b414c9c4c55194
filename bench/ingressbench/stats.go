//go:build linux

package main

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// percentile is the p-th percentile (nearest rank) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// row prints one line of a latency table: p50, p99, max and count.
func row(name string, ds []time.Duration) {
	if len(ds) == 0 {
		fmt.Printf("| %s | - | - | - | 0 |\n", name)
		return
	}
	fmt.Printf("| %s | %s | %s | %s | %d |\n", name, ms(percentile(ds, 50)), ms(percentile(ds, 99)), ms(percentile(ds, 100)), len(ds))
}
