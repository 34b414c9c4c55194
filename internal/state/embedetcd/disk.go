//go:build linux || freebsd

package embedetcd

import "syscall"

// diskFree returns the bytes available to unprivileged users on the file
// system holding dir.
func diskFree(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(uint64(st.Bavail) * uint64(st.Bsize)), nil
}
