//go:build !linux

package jail

// MountOverlay fails with ErrUnsupported: the FreeBSD runtime will mount
// its jails' filesystems its own way (pot(8) uses ZFS).
func MountOverlay(target, lower, upper, work string) error { return ErrUnsupported }

// UnmountOverlay fails with ErrUnsupported.
func UnmountOverlay(target string) error { return ErrUnsupported }

// OverlaySupported is false: there is no overlayfs here.
func OverlaySupported() bool { return false }
