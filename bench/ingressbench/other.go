//go:build !linux

package main

import (
	"fmt"
	"os"
)

// main says the benchmark needs Linux: it reads /proc and runs Debian's
// wrk, haproxy and nginx.
func main() {
	fmt.Fprintln(os.Stderr, "ingressbench: needs Linux (it reads /proc and runs wrk, haproxy and nginx)")
	os.Exit(1)
}
