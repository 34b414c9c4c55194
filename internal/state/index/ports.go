package index

import (
	"slices"
)

// Chunk sizes of a portBag: a chunk that grows past maxChunk ports is
// split in two; one that shrinks below minChunk is merged into a neighbour
// when the two fit in maxChunk.
const (
	maxChunk = 128
	minChunk = maxChunk / 4
)

// portBag is a persistent sorted multiset of host ports (duplicates
// allowed), kept as a list of sorted chunks of at most maxChunk ports,
// like the leaves of a B-tree. A change copies the list of chunk pointers
// and one or two chunks, never the whole set, so adding a port to a node
// that holds thousands costs about what adding one to an empty node does;
// reading appends a few chunks.
//
// A committed bag is immutable. A transaction changes its own copy (see
// clone) and, within it, chunks stamped with its generation in place;
// other chunks are copied on first change.
type portBag struct {
	chunks []*portChunk // sorted: each chunk's ports are >= the previous chunk's
	n      int          // ports in the bag
}

// portChunk is a non-empty sorted run of a bag's ports.
type portChunk struct {
	gen  uint64 // generation of the transaction that made the chunk
	vals []int
}

// clone returns a bag that shares chunks with b but whose chunk list can
// be changed.
func (b portBag) clone() portBag {
	b.chunks = slices.Clone(b.chunks)
	return b
}

// len is the number of ports in the bag, duplicates included.
func (b *portBag) len() int { return b.n }

// appendTo appends every port of the bag, in ascending order, to out.
func (b *portBag) appendTo(out []int) []int {
	out = slices.Grow(out, b.n)
	for _, c := range b.chunks {
		out = append(out, c.vals...)
	}
	return out
}

// chunkFor returns the index of the chunk where p belongs: the last one
// whose first port is <= p, or 0 (also when the bag is empty).
func (b *portBag) chunkFor(p int) int {
	i, _ := slices.BinarySearchFunc(b.chunks, p, func(c *portChunk, p int) int {
		if c.vals[0] <= p {
			return -1
		}
		return 1
	})
	return max(i-1, 0)
}

// own returns chunk i, first replacing it with a copy when another
// generation made it.
func (b *portBag) own(i int, gen uint64) *portChunk {
	c := b.chunks[i]
	if c.gen != gen {
		vals := make([]int, len(c.vals), len(c.vals)+1)
		copy(vals, c.vals)
		c = &portChunk{gen: gen, vals: vals}
		b.chunks[i] = c
	}
	return c
}

// add puts one p into the bag, in a transaction of generation gen.
func (b *portBag) add(p int, gen uint64) {
	b.n++
	if len(b.chunks) == 0 {
		b.chunks = append(b.chunks, &portChunk{gen: gen, vals: []int{p}})
		return
	}
	i := b.chunkFor(p)
	c := b.own(i, gen)
	j, _ := slices.BinarySearch(c.vals, p)
	c.vals = slices.Insert(c.vals, j, p)
	if len(c.vals) > maxChunk {
		half := len(c.vals) / 2
		upper := &portChunk{gen: gen, vals: slices.Clone(c.vals[half:])}
		c.vals = c.vals[:half:half]
		b.chunks = slices.Insert(b.chunks, i+1, upper)
	}
}

// remove takes one p out of the bag, if it holds one, in a transaction of
// generation gen.
func (b *portBag) remove(p int, gen uint64) {
	if len(b.chunks) == 0 {
		return
	}
	i := b.chunkFor(p)
	j, found := slices.BinarySearch(b.chunks[i].vals, p)
	if !found {
		return
	}
	b.n--
	if len(b.chunks[i].vals) == 1 {
		b.chunks = slices.Delete(b.chunks, i, i+1)
		return
	}
	c := b.own(i, gen)
	c.vals = slices.Delete(c.vals, j, j+1)
	if len(c.vals) < minChunk {
		b.mergeNext(i, gen)
		b.mergeNext(i-1, gen)
	}
}

// mergeNext merges chunk i+1 into chunk i when both exist and their
// ports fit in one chunk.
func (b *portBag) mergeNext(i int, gen uint64) {
	if i < 0 || i+1 >= len(b.chunks) || len(b.chunks[i].vals)+len(b.chunks[i+1].vals) > maxChunk {
		return
	}
	vals := make([]int, 0, len(b.chunks[i].vals)+len(b.chunks[i+1].vals))
	vals = append(append(vals, b.chunks[i].vals...), b.chunks[i+1].vals...)
	b.chunks[i] = &portChunk{gen: gen, vals: vals}
	b.chunks = slices.Delete(b.chunks, i+1, i+2)
}
