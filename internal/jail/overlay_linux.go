package jail

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// MountOverlay mounts a jail's root filesystem on target: an overlay of
// lower (an unpacked image, never written) below upper (the jail's own
// changes), with work as overlayfs's scratch directory. upper, work and
// target are made when missing. Device files on it do not work (nodev).
func MountOverlay(target, lower, upper, work string) error {
	for _, dir := range []string{upper, work, target} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("rootfs: %w", err)
		}
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work)
	if err := unix.Mount("overlay", target, "overlay", unix.MS_NODEV, opts); err != nil {
		return fmt.Errorf("mount overlay rootfs on %s: %w", target, err)
	}
	return nil
}

// UnmountOverlay unmounts a jail's root filesystem, detaching it when it
// is busy; one that is not mounted (or does not exist) is not an error.
func UnmountOverlay(target string) error {
	err := unix.Unmount(target, 0)
	if errors.Is(err, unix.EBUSY) {
		err = unix.Unmount(target, unix.MNT_DETACH)
	}
	if err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unmount %s: %w", target, err)
	}
	return nil
}

// OverlaySupported reports whether the kernel knows overlayfs.
func OverlaySupported() bool {
	data, err := os.ReadFile("/proc/filesystems")
	return err == nil && strings.Contains(string(data), "\toverlay\n")
}
