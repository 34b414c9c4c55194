//go:build !linux

package supervise

import "syscall"

// initDropsSignal is false where there are no pid namespaces.
func initDropsSignal(int, syscall.Signal) bool { return false }
