package fetch

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/image"
)

// TestGetRefusesImageOverUnpackedLimit gets an image whose files (about
// 256 KiB) exceed a cache's MaxUnpackedBytes of 64 KiB: Get fails with
// image.ErrTooLarge naming the limit, and no rootfs is left.
func TestGetRefusesImageOverUnpackedLimit(t *testing.T) {
	dir, _ := buildImage(t, "nginx", "1.0")
	ts := newTestServer(t, dir)
	c := newTestCache(t, Config{MaxUnpackedBytes: 64 << 10})
	_, _, err := c.Get(testCtx(t), ts.URL+"/", "nginx", "1.0", nil)
	if !errors.Is(err, image.ErrTooLarge) || !strings.Contains(err.Error(), "size limit of 65536 bytes") {
		t.Fatalf("Get of an image over the unpacked limit: %v", err)
	}
	if _, err := os.Stat(c.RootfsDir("nginx", "1.0")); !os.IsNotExist(err) {
		t.Errorf("a rootfs was left behind: %v", err)
	}
}
