package image

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkUnpack unpacks a built image of about 50 MB in 600 files of
// mixed sizes (half compressible text, half random) and reports MB/s of
// unpacked data.
func BenchmarkUnpack(b *testing.B) {
	src := b.TempDir()
	r := rand.New(rand.NewSource(1))
	var total int64
	for i := 0; i < 600; i++ {
		size := 1 << (8 + r.Intn(12)) // 256 B .. 512 KiB
		buf := make([]byte, size)
		if i%2 == 0 {
			r.Read(buf)
		} else {
			for j := range buf {
				buf[j] = "wharf pot image\n"[j%16]
			}
		}
		p := filepath.Join(src, fmt.Sprintf("d%02d", i%37), fmt.Sprintf("f%04d", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			b.Fatal(err)
		}
		total += int64(size)
	}
	for total < 50<<20 {
		buf := make([]byte, 4<<20)
		r.Read(buf)
		p := filepath.Join(src, fmt.Sprintf("big%d", total))
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			b.Fatal(err)
		}
		total += int64(len(buf))
	}
	built, err := Build(src, testManifest(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	out := b.TempDir()
	b.SetBytes(total)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		dest := filepath.Join(out, fmt.Sprintf("r%d", i))
		if err := Unpack(context.Background(), built.RootfsPath, dest); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		os.RemoveAll(dest)
		b.StartTimer()
	}
}
