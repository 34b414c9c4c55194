// Package latency summarises the timings the benchmark programs take.
package latency

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Percentile returns the p-th percentile (0-100, nearest rank) of ds.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

// MS formats d in milliseconds with one decimal.
func MS(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// Row prints one line of a latency table: p50, p99, max and count.
func Row(name string, ds []time.Duration) {
	if len(ds) == 0 {
		fmt.Printf("| %s | - | - | - | 0 |\n", name)
		return
	}
	fmt.Printf("| %s | %s | %s | %s | %d |\n", name, MS(Percentile(ds, 50)), MS(Percentile(ds, 99)), MS(Percentile(ds, 100)), len(ds))
}
