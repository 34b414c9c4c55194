package scheduler

import (
	crand "crypto/rand"
	"encoding/binary"
	"math/rand/v2"
	"strconv"
)

// idGen makes random version 4 UUIDs from a ChaCha8 stream seeded once from
// crypto/rand: as unique as structs.GenerateUUID, without a system call and
// fmt per ID.
type idGen struct{ src *rand.ChaCha8 }

// newIDGen returns a generator with a fresh random seed.
func newIDGen() *idGen {
	var seed [32]byte
	_, _ = crand.Read(seed[:])
	return &idGen{src: rand.NewChaCha8(seed)}
}

// next returns a new UUID.
func (g *idGen) next() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], g.src.Uint64())
	binary.LittleEndian.PutUint64(b[8:], g.src.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return formatUUID(b)
}

// formatUUID renders 16 bytes as 8-4-4-4-12 lowercase hex.
func formatUUID(b [16]byte) string {
	const hex = "0123456789abcdef"
	var out [36]byte
	j := 0
	for i, x := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hex[x>>4], hex[x&0x0f]
		j += 2
	}
	return string(out[:])
}

// allocName is structs.AllocName without fmt: job.group[index].
func allocName(job, group string, index int) string {
	return job + "." + group + "[" + strconv.Itoa(index) + "]"
}

// nameIndex returns the index in an allocation name job.group[index], or -1.
func nameIndex(name string) int {
	end := len(name) - 1
	if end < 1 || name[end] != ']' {
		return -1
	}
	n, digits := 0, 0
	for i := end - 1; i >= 0; i-- {
		ch := name[i]
		switch {
		case ch == '[':
			if digits == 0 {
				return -1
			}
			return n
		case ch >= '0' && ch <= '9' && digits < 9:
			n += int(ch-'0') * pow10[digits]
			digits++
		default:
			return -1
		}
	}
	return -1
}

var pow10 = [9]int{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000}
