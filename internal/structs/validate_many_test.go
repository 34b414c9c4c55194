package structs

import (
	"errors"
	"regexp"
	"strconv"
	"testing"
)

// TestValidateBoundsProblems validates jobs with many thousands of invalid
// items, as a job body of a few megabytes may hold: the error lists
// MaxValidationProblems of them and counts the rest, where it used to
// grow to tens of megabytes.
func TestValidateBoundsProblems(t *testing.T) {
	const n = 50_000
	for _, tc := range []struct {
		name string
		job  func(j *Job)
	}{
		{"empty datacenters", func(j *Job) { j.Datacenters = make([]string, n) }},
		{"empty constraints", func(j *Job) {
			for range n {
				j.Constraints = append(j.Constraints, &Constraint{})
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := &Job{ID: "x", Name: "x", Type: JobTypeService}
			tc.job(j)
			var ve *ValidationError
			if err := j.Validate(); !errors.As(err, &ve) {
				t.Fatalf("Validate = %v, want a *ValidationError", err)
			}
			if len(ve.Problems) != MaxValidationProblems+1 {
				t.Fatalf("%d problems listed, want %d and a count of the rest", len(ve.Problems), MaxValidationProblems+1)
			}
			m := regexp.MustCompile(`^and (\d+) more problems$`).FindStringSubmatch(ve.Problems[MaxValidationProblems].Message)
			if m == nil {
				t.Fatalf("last problem %q, want the count of the rest", ve.Problems[MaxValidationProblems].Message)
			}
			if more, _ := strconv.Atoi(m[1]); more < n-MaxValidationProblems {
				t.Fatalf("%d more problems counted, want at least %d", more, n-MaxValidationProblems)
			}
			if size := len(ve.Error()); size > 64<<10 {
				t.Fatalf("the error is %d bytes", size)
			}
		})
	}
}
