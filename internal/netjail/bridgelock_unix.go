//go:build linux || freebsd

package netjail

import (
	"errors"
	"os"
	"syscall"
)

// flockExclusive takes f's exclusive lock without waiting:
// ErrBridgeInUse when another open file holds it.
func flockExclusive(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return ErrBridgeInUse
	}
	return err
}
