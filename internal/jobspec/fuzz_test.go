package jobspec

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics and that it returns either a
// job or Diagnostics, never both or neither, and that a job it returns
// validates and encodes as JSON. The seed corpus is the job
// files in testdata plus testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/*.hcl")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		job, err := Parse("fuzz.hcl", src)
		if (job == nil) == (err == nil) {
			t.Fatalf("job = %v, err = %v: want exactly one", job, err)
		}
		if err != nil {
			if _, ok := err.(Diagnostics); !ok {
				t.Fatalf("err is %T, want Diagnostics", err)
			}
			_ = err.Error()
			return
		}
		if verr := job.Validate(); verr != nil {
			t.Fatalf("parsed job does not validate: %v", verr)
		}
		if _, err := json.Marshal(job.Copy()); err != nil {
			t.Fatalf("parsed job does not encode: %v", err)
		}
	})
}
