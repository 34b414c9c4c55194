//go:build unix

package jail

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

func TestMaxNofile(t *testing.T) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	want := min(uint64(rl.Max), NofileLimit)
	if got := MaxNofile(); got != want {
		t.Errorf("MaxNofile() = %d, want %d", got, want)
	}
	if os.Geteuid() != 0 {
		return // lowering the hard limit could not be undone
	}
	lowered := rl
	lowered.Max, lowered.Cur = 1000, min(rl.Cur, 1000)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lowered); err != nil {
		t.Skipf("cannot lower RLIMIT_NOFILE: %v", err)
	}
	defer unix.Setrlimit(unix.RLIMIT_NOFILE, &rl)
	if got := MaxNofile(); got != 1000 {
		t.Errorf("with a hard limit of 1000, MaxNofile() = %d", got)
	}
}
