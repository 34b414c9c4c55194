package image

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// fuzzSeeds are archives worth mutating: the refusal cases and a good one.
func fuzzSeeds(t testing.TB) [][]byte {
	return [][]byte{
		tarBytes(t, dirEntry("etc/"), reg("etc/hosts", "h"), symlinkEntry("l", "/etc"), hardlinkEntry("h2", "etc/hosts")),
		tarBytes(t, symlinkEntry("a", "/etc"), reg("a/passwd", "x")),
		tarBytes(t, symlinkEntry("a", ".."), reg("a/x", "x")),
		tarBytes(t, reg("../evil", "x")),
		tarBytes(t, hardlinkEntry("pw", "/etc/passwd")),
	}
}

// FuzzUnpack feeds arbitrary tar bytes to the unpacker: it must never
// panic, never touch anything outside its destination, and leave nothing
// behind when it fails.
func FuzzUnpack(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		base := t.TempDir()
		outside := filepath.Join(base, "outside")
		makeTree(t, outside, map[string]string{"sentinel": "keep"})
		jail := filepath.Join(base, "jail")
		dest := filepath.Join(jail, "rootfs")
		err := unpackStream(context.Background(), bytes.NewReader(data), dest, UnpackOptions{MaxBytes: 1 << 20, MaxEntries: 1000})
		assertOnlyChildren(t, base, "jail", "outside")
		assertOnlyChildren(t, outside, "sentinel")
		if b, rerr := os.ReadFile(filepath.Join(outside, "sentinel")); rerr != nil || string(b) != "keep" {
			t.Fatalf("sentinel changed: %q, %v", b, rerr)
		}
		if err != nil {
			assertOnlyChildren(t, jail)
			return
		}
		assertOnlyChildren(t, jail, "rootfs")
		// Make the tree removable whatever modes the archive asked for.
		filepath.WalkDir(dest, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				os.Chmod(p, 0o755)
			}
			return nil
		})
	})
}
