package jail

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOverlay mounts an overlay, writes through it, and checks that the
// lower directory is untouched, the change lands in upper, and unmounting
// (twice, and of what was never mounted) succeeds.
func TestOverlay(t *testing.T) {
	if os.Geteuid() != 0 || !OverlaySupported() {
		if os.Getenv("CI") != "" {
			t.Fatal("needs root and overlayfs")
		}
		t.Skip("needs root and overlayfs")
	}
	dir := t.TempDir()
	lower, upper, work, target := filepath.Join(dir, "lower"), filepath.Join(dir, "upper"), filepath.Join(dir, "work"), filepath.Join(dir, "rootfs")
	if err := os.MkdirAll(lower, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(lower, "f"), []byte("image"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := MountOverlay(target, lower, upper, work); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = UnmountOverlay(target) })
	if b, err := os.ReadFile(filepath.Join(target, "f")); err != nil || string(b) != "image" {
		t.Fatalf("lower file through the overlay = %q, %v", b, err)
	}
	if err := os.WriteFile(filepath.Join(target, "f"), []byte("jail"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(lower, "f")); string(b) != "image" {
		t.Errorf("the jail wrote to the image: %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(upper, "f")); string(b) != "jail" {
		t.Errorf("upper holds %q, want the jail's change", b)
	}
	for i := range 2 {
		if err := UnmountOverlay(target); err != nil {
			t.Fatalf("unmount %d: %v", i, err)
		}
	}
	if mounts, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(mounts), " "+target+" ") {
		t.Error("still mounted")
	}
	if err := UnmountOverlay(filepath.Join(dir, "never")); err != nil {
		t.Errorf("unmount of a missing dir: %v", err)
	}
	err := MountOverlay(filepath.Join(dir, "t2"), filepath.Join(dir, "nolower"), filepath.Join(dir, "u2"), filepath.Join(dir, "w2"))
	if err == nil || !strings.Contains(err.Error(), "mount overlay rootfs on ") {
		t.Errorf("overlay on a missing lower dir = %v", err)
	}
}
