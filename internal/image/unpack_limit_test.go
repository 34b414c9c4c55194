package image

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestRatioCap(t *testing.T) {
	for _, tc := range []struct {
		name       string
		opts       UnpackOptions
		compressed int64
		want       int64
	}{
		{"small archive gets the floor", UnpackOptions{}, 128 << 10, RatioFloor},
		{"ratio above the floor", UnpackOptions{}, 4 << 20, 4000 << 20},
		{"absolute cap wins", UnpackOptions{}, 1 << 30, DefaultMaxBytes},
		{"configured cap wins", UnpackOptions{MaxBytes: 512 << 20}, 128 << 10, 512 << 20},
		{"no ratio", UnpackOptions{MaxRatio: -1}, 128 << 10, DefaultMaxBytes},
		{"unknown size", UnpackOptions{}, 0, DefaultMaxBytes},
	} {
		if got := ratioCap(tc.opts, tc.compressed); got != tc.want {
			t.Errorf("%s: ratioCap = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestUnpackStopsABomb unpacks a few hundred bytes that expand to 4 MiB
// of zeros with the ratio floor lowered to 1 MiB: the unpack stops with
// an error naming the limit, and leaves nothing.
func TestUnpackStopsABomb(t *testing.T) {
	ratioFloor = 1 << 20
	t.Cleanup(func() { ratioFloor = RatioFloor })
	base := t.TempDir()
	src := writeTestTarZst(t, base, tarBytes(t, reg("zeros", strings.Repeat("\x00", 4<<20))))
	dest := filepath.Join(base, "out", "rootfs")
	err := UnpackWith(context.Background(), src, dest, UnpackOptions{})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "size limit of 1048576 bytes (1.0 MiB)") {
		t.Fatalf("unpack of a bomb: %v, want ErrTooLarge naming the 1 MiB limit", err)
	}
	assertOnlyChildren(t, filepath.Join(base, "out"))
}
