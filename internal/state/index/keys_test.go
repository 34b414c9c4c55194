package index

import (
	"bytes"
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

// TestFieldsIndexEncodesAsMemdb checks that fieldsIndex builds the keys
// memdb's reflection indexers build, so swapping one for the other keeps
// lookups, prefix scans and ordering.
func TestFieldsIndexEncodesAsMemdb(t *testing.T) {
	ours := fields(func(a *structs.Allocation) string { return a.Namespace },
		func(a *structs.Allocation) string { return a.JobID })
	theirs := compound(str("Namespace"), str("JobID"))
	objs := []*structs.Allocation{
		{Namespace: "default", JobID: "web"},
		{Namespace: "default", JobID: ""},
		{Namespace: "", JobID: "web"},
		{Namespace: "a\x00b", JobID: "é"},
	}
	for _, a := range objs {
		ok1, k1, err1 := ours.FromObject(a)
		ok2, k2, err2 := theirs.FromObject(a)
		if ok1 != ok2 || !bytes.Equal(k1, k2) || (err1 == nil) != (err2 == nil) {
			t.Errorf("FromObject(%q, %q) = %v %q %v, memdb %v %q %v", a.Namespace, a.JobID, ok1, k1, err1, ok2, k2, err2)
		}
	}
	args := [][]any{{}, {"default"}, {"default", "we"}, {"default", ""}, {"a", "b", "c"}, {"default", 7}}
	for _, as := range args {
		k1, err1 := ours.FromArgs(as...)
		k2, err2 := theirs.FromArgs(as...)
		if !bytes.Equal(k1, k2) || (err1 == nil) != (err2 == nil) {
			t.Errorf("FromArgs(%q) = %q %v, memdb %q %v", as, k1, err1, k2, err2)
		}
		p1, err1 := ours.PrefixFromArgs(as...)
		p2, err2 := theirs.PrefixFromArgs(as...)
		if !bytes.Equal(p1, p2) || (err1 == nil) != (err2 == nil) {
			t.Errorf("PrefixFromArgs(%q) = %q %v, memdb %q %v", as, p1, err1, p2, err2)
		}
	}
	if _, _, err := ours.FromObject(&structs.Job{}); err == nil {
		t.Error("FromObject accepted a job")
	}
}
