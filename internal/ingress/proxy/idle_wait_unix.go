//go:build unix

package proxy

import (
	"net"
	"syscall"
)

// waitInput waits, holding no buffer, until c has input to read (or an
// end or error to report), or its read deadline passes; false if c
// cannot wait so (it is no socket of the net package).
func waitInput(c net.Conn) (bool, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false, nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false, nil
	}
	var one [1]byte
	err = rc.Read(func(fd uintptr) bool {
		// Peek without consuming: data, an end or an error end the
		// wait; nothing yet waits for the poller.
		_, _, err := syscall.Recvfrom(int(fd), one[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return err != syscall.EAGAIN && err != syscall.EINTR
	})
	return true, err
}
