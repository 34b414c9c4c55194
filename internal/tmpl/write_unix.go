//go:build unix

package tmpl

import (
	"io/fs"
	"os"
	"os/exec"
	"syscall"
)

// keepOwner gives path the owner and group of st, when the process may.
func keepOwner(path string, st fs.FileInfo) {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		_ = os.Chown(path, int(sys.Uid), int(sys.Gid))
	}
}

// setProcessGroup puts cmd in a process group of its own (so a Ctrl-C at
// the terminal does not cut a reload short), and makes a timeout kill the
// whole group.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
