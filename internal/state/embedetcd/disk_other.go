//go:build !linux && !freebsd

package embedetcd

import "errors"

// diskFree is not known on this system.
func diskFree(dir string) (int64, error) {
	return 0, errors.New("embedetcd: free disk space is not known on this system")
}
