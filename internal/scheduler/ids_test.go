package scheduler

import (
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

func TestIDGen(t *testing.T) {
	g := newIDGen()
	seen := map[string]bool{}
	for range 10000 {
		id := g.next()
		if !uuidRE.MatchString(id) || seen[id] {
			t.Fatalf("bad or duplicate ID %q", id)
		}
		seen[id] = true
	}
	if newIDGen().next() == newIDGen().next() {
		t.Error("two generators share a seed")
	}
}

func TestAllocNameAndIndex(t *testing.T) {
	for _, idx := range []int{0, 7, 42, 12345} {
		if got, want := allocName("job", "grp", idx), structs.AllocName("job", "grp", idx); got != want {
			t.Errorf("allocName = %q, want %q", got, want)
		}
	}
	tests := []struct {
		name string
		want int
	}{
		{"job.grp[0]", 0}, {"job.grp[17]", 17}, {"a.b[c][3]", 3}, {"job.grp[]", -1},
		{"job.grp", -1}, {"job.grp[x]", -1}, {"", -1}, {"]", -1}, {"[-1]", -1},
	}
	for _, tt := range tests {
		if got := nameIndex(tt.name); got != tt.want {
			t.Errorf("nameIndex(%q) = %d, want %d", tt.name, got, tt.want)
		}
		a := &structs.Allocation{Name: tt.name}
		if tt.want >= 0 && a.Index() != tt.want {
			t.Errorf("structs disagrees on %q", tt.name)
		}
	}
}

func TestNewIDOption(t *testing.T) {
	n := 0
	opts := testOpts()
	opts.NewID = func() string { n++; return structs.GenerateUUID() }
	job := testJob("web", 3)
	if _, err := Process(newFakeState(testNodes(2, "dc1")...), evalFor(job), job, opts); err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("NewID called %d times", n)
	}
}
