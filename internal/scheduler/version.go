package scheduler

import (
	"errors"
	"strconv"
	"strings"
)

// version is a parsed dotted version: numeric segments and an optional
// pre-release suffix ("1.2.3-beta1+build" gives [1 2 3] and "beta1").
type version struct {
	nums []int64
	pre  string
}

// parseVersion parses "v1.2.3", "1.2", "13.1-RELEASE" and the like.
func parseVersion(s string) (version, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	s, _, _ = strings.Cut(s, "+")
	s, pre, _ := strings.Cut(s, "-")
	if s == "" {
		return version{}, false
	}
	parts := strings.Split(s, ".")
	v := version{nums: make([]int64, len(parts)), pre: pre}
	for i, p := range parts {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil || n < 0 {
			return version{}, false
		}
		v.nums[i] = n
	}
	return v, true
}

// compareVersions orders versions: numeric segments first (missing ones are
// 0), then a release above any pre-release, then pre-releases lexically.
func compareVersions(a, b version) int {
	for i := 0; i < max(len(a.nums), len(b.nums)); i++ {
		x, y := segment(a.nums, i), segment(b.nums, i)
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	switch {
	case a.pre == b.pre:
		return 0
	case a.pre == "":
		return 1
	case b.pre == "":
		return -1
	}
	return strings.Compare(a.pre, b.pre)
}

// segment is nums[i], or 0 past the end.
func segment(nums []int64, i int) int64 {
	if i < len(nums) {
		return nums[i]
	}
	return 0
}

// versionClause is one "op version" term of a constraint.
type versionClause struct {
	op string
	v  version
}

// versionConstraint is a comma-separated list of clauses that must all
// hold, e.g. ">= 1.2, < 2".
type versionConstraint []versionClause

// errBadVersion is returned for a constraint that does not parse.
var errBadVersion = errors.New("malformed version constraint")

// versionOps are the clause operators, longest first.
var versionOps = []string{">=", "<=", "!=", "~>", "==", ">", "<", "="}

// parseVersionConstraint parses a version constraint.
func parseVersionConstraint(s string) (versionConstraint, error) {
	var vc versionConstraint
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		op := "="
		for _, o := range versionOps {
			if rest, ok := strings.CutPrefix(part, o); ok {
				op, part = o, strings.TrimSpace(rest)
				break
			}
		}
		v, ok := parseVersion(part)
		if !ok {
			return nil, errBadVersion
		}
		vc = append(vc, versionClause{op: op, v: v})
	}
	return vc, nil
}

// check reports whether v satisfies every clause.
func (vc versionConstraint) check(v version) bool {
	for _, c := range vc {
		if !c.holds(v) {
			return false
		}
	}
	return true
}

// holds reports whether v satisfies the clause.
func (c versionClause) holds(v version) bool {
	cmp := compareVersions(v, c.v)
	switch c.op {
	case "=", "==":
		return cmp == 0
	case "!=":
		return cmp != 0
	case ">":
		return cmp > 0
	case ">=":
		return cmp >= 0
	case "<":
		return cmp < 0
	case "<=":
		return cmp <= 0
	}
	return cmp >= 0 && compareVersions(v, pessimisticBound(c.v)) < 0
}

// pessimisticBound is the exclusive upper bound of "~> v": the next value
// of the second-to-last segment ("~> 1.2.3" allows < 1.3, "~> 1.2" < 2).
func pessimisticBound(v version) version {
	n := len(v.nums)
	if n < 2 {
		return version{nums: []int64{v.nums[0] + 1}}
	}
	up := make([]int64, n-1)
	copy(up, v.nums[:n-1])
	up[n-2]++
	return version{nums: up}
}
