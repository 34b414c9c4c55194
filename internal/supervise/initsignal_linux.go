package supervise

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// A container's main process is the init (pid 1) of its pid namespace,
// and the kernel drops every signal sent to such a process unless it has a
// handler for it (SIGKILL and SIGSTOP aside). A jail running a program that
// never installs a SIGTERM handler (busybox httpd, sleep...) would thus
// ignore `job stop` until the kill timeout. The supervisor restores the
// usual meaning: a signal whose default action ends the process, sent to
// an init that neither catches nor ignores it, ends the init with SIGKILL
// at once, and the exit is recorded as caused by the signal that was sent
// — exactly what would have happened outside a pid namespace.

// fatalByDefault are the signals whose default action terminates the
// process (with or without a core dump).
var fatalByDefault = map[syscall.Signal]bool{
	syscall.SIGHUP: true, syscall.SIGINT: true, syscall.SIGQUIT: true, syscall.SIGILL: true,
	syscall.SIGTRAP: true, syscall.SIGABRT: true, syscall.SIGBUS: true, syscall.SIGFPE: true,
	syscall.SIGUSR1: true, syscall.SIGSEGV: true, syscall.SIGUSR2: true, syscall.SIGPIPE: true,
	syscall.SIGALRM: true, syscall.SIGTERM: true, syscall.SIGSTKFLT: true, syscall.SIGXCPU: true,
	syscall.SIGXFSZ: true, syscall.SIGVTALRM: true, syscall.SIGPROF: true, syscall.SIGIO: true,
	syscall.SIGPWR: true, syscall.SIGSYS: true,
}

// initDropsSignal reports whether the kernel would drop sig sent to the
// namespace init pid although its default action is to end it: the
// process neither catches nor ignores it.
func initDropsSignal(pid int, sig syscall.Signal) bool {
	if !fatalByDefault[sig] {
		return false
	}
	caught, ignored, err := signalMasks(pid)
	if err != nil {
		return false
	}
	bit := uint64(1) << (uint(sig) - 1)
	return caught&bit == 0 && ignored&bit == 0
}

// signalMasks reads the SigCgt and SigIgn masks of pid.
func signalMasks(pid int) (caught, ignored uint64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	found := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "SigCgt" && k != "SigIgn") {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/%d/status %s: %w", pid, k, err)
		}
		if k == "SigCgt" {
			caught = n
		} else {
			ignored = n
		}
		found++
	}
	if found != 2 {
		return 0, 0, fmt.Errorf("/proc/%d/status: no signal masks", pid)
	}
	return caught, ignored, sc.Err()
}
