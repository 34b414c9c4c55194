package index

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// checkBag fails the test unless b holds exactly want (sorted) and its
// chunks keep their invariants.
func checkBag(t *testing.T, step int, b *portBag, want []int) {
	t.Helper()
	got := b.appendTo(nil)
	if !slices.Equal(got, want) || b.len() != len(want) {
		t.Fatalf("step %d: bag %v (len %d), want %v", step, got, b.len(), want)
	}
	for i, c := range b.chunks {
		if len(c.vals) == 0 || len(c.vals) > maxChunk {
			t.Fatalf("step %d: chunk %d holds %d ports", step, i, len(c.vals))
		}
	}
}

func TestPortBagMatchesSortedSlice(t *testing.T) {
	cases := []struct {
		name    string
		span    int // ports are drawn from [20000, 20000+span)
		target  int // the bag grows to about this many ports
		txnSize int // changes per generation
	}{
		{"few ports", 50, 10, 3},
		{"duplicates", 20, 400, 7},
		{"splits and merges", 3000, 1500, 40},
		{"one change per generation", 5000, 600, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			runPortBagModel(t, c.span, c.target, c.txnSize)
		})
	}
}

// runPortBagModel grows a bag to about target ports and shrinks it to
// empty with random adds and removes, txnSize changes per generation,
// checking it against a sorted slice after every change and every older
// generation's bag after each generation.
func runPortBagModel(t *testing.T, span, target, txnSize int) {
	r := rand.New(rand.NewPCG(uint64(span), uint64(target)))
	var b portBag
	var want []int
	type kept struct {
		bag  portBag
		want []int
	}
	var old []kept
	gen := uint64(1)
	steps := 4 * target
	for step := range steps {
		if step%txnSize == 0 {
			old = append(old, kept{b, slices.Clone(want)})
			gen++
			b = b.clone()
		}
		addOdds := 3 // in 4: grow during the first half, shrink after
		if step >= steps/2 {
			addOdds = 1
		}
		if len(want) == 0 || r.IntN(4) < addOdds {
			p := 20000 + r.IntN(span)
			b.add(p, gen)
			i, _ := slices.BinarySearch(want, p)
			want = slices.Insert(want, i, p)
		} else {
			p := want[r.IntN(len(want))]
			if r.IntN(10) == 0 {
				p = 19999 // never in the bag
			}
			b.remove(p, gen)
			if i, ok := slices.BinarySearch(want, p); ok {
				want = slices.Delete(want, i, i+1)
			}
		}
		checkBag(t, step, &b, want)
	}
	for i, k := range old {
		checkBag(t, -i, &k.bag, k.want)
	}
	t.Logf("ended with %d ports in %d chunks", b.len(), len(b.chunks))
}
