package scheduler

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/wharf-project/wharf/internal/structs"
)

// targetKind says where a constraint target's value comes from.
type targetKind uint8

// Target kinds.
const (
	targetLiteral targetKind = iota
	targetAttr
	targetMeta
	targetDatacenter
	targetNodeID
	targetNodeName
	targetNodeClass
	targetNodePool
	targetUnknown
)

// target is a parsed constraint or spread target: a literal or one
// interpolation such as ${attr.kernel.name}.
type target struct {
	kind targetKind
	key  string // attribute or meta key, or the literal
}

// parseTarget parses a target; only a whole-string ${...} interpolates.
func parseTarget(s string) target {
	if !strings.HasPrefix(s, "${") || !strings.HasSuffix(s, "}") {
		return target{kind: targetLiteral, key: s}
	}
	inner := s[2 : len(s)-1]
	switch inner {
	case "node.datacenter":
		return target{kind: targetDatacenter}
	case "node.unique.id":
		return target{kind: targetNodeID}
	case "node.unique.name":
		return target{kind: targetNodeName}
	case "node.class":
		return target{kind: targetNodeClass}
	case "node.pool":
		return target{kind: targetNodePool}
	}
	if k, ok := strings.CutPrefix(inner, "attr."); ok {
		return target{kind: targetAttr, key: k}
	}
	if k, ok := strings.CutPrefix(inner, "meta."); ok {
		return target{kind: targetMeta, key: k}
	}
	return target{kind: targetUnknown, key: inner}
}

// resolve returns the target's value on node n and whether it is set.
func (t target) resolve(n *structs.Node) (string, bool) {
	switch t.kind {
	case targetLiteral:
		return t.key, true
	case targetAttr:
		v, ok := n.Attributes[t.key]
		return v, ok
	case targetMeta:
		v, ok := n.Meta[t.key]
		return v, ok
	case targetDatacenter:
		return n.Datacenter, true
	case targetNodeID:
		return n.ID, true
	case targetNodeName:
		return n.Name, true
	case targetNodeClass:
		return n.NodeClass, true
	case targetNodePool:
		return nodePool(n), true
	}
	return "", false
}

// nodePool is the node's pool; nodes without one are in "default".
func nodePool(n *structs.Node) string {
	if n.NodePool == "" {
		return defaultPool
	}
	return n.NodePool
}

// compiledConstraint is a constraint parsed once per evaluation.
type compiledConstraint struct {
	op   string
	l, r target
	// key is the constraint as metrics show it: "${attr.kernel.name} = linux".
	key string
	// Pre-parsed right-hand sides when the right target is a literal.
	re  *regexp.Regexp
	ver versionConstraint
	set []string
	bad bool // the literal right-hand side does not parse: never matches
}

// compileConstraint parses c once.
func compileConstraint(c *structs.Constraint) *compiledConstraint {
	op := c.Operand
	if op == "" {
		op = "="
	}
	cc := &compiledConstraint{op: op, l: parseTarget(c.LTarget), r: parseTarget(c.RTarget),
		key: strings.TrimSpace(c.LTarget + " " + op + " " + c.RTarget)}
	if cc.r.kind != targetLiteral {
		return cc
	}
	var err error
	switch op {
	case structs.ConstraintRegex:
		cc.re, err = regexp.Compile(c.RTarget)
	case structs.ConstraintVersion, structs.ConstraintSemver:
		cc.ver, err = parseVersionConstraint(c.RTarget)
	case structs.ConstraintSetContains, structs.ConstraintSetContainsAll, structs.ConstraintSetContainsAny:
		cc.set = splitSet(c.RTarget)
	}
	cc.bad = err != nil
	return cc
}

// check reports whether node n satisfies the constraint.
func (cc *compiledConstraint) check(n *structs.Node) bool {
	l, lok := cc.l.resolve(n)
	r, rok := cc.r.resolve(n)
	switch cc.op {
	case structs.ConstraintAttributeIsSet:
		return lok
	case structs.ConstraintAttributeNotSet:
		return !lok
	case "!=", "not":
		return !(lok == rok && l == r)
	}
	if !lok || !rok || cc.bad {
		return false
	}
	switch cc.op {
	case "=", "==", "is":
		return l == r
	case "<", "<=", ">", ">=":
		return compareOrdered(l, r, cc.op)
	case structs.ConstraintRegex:
		return cc.matchRegexp(l, r)
	case structs.ConstraintVersion, structs.ConstraintSemver:
		return cc.matchVersion(l, r)
	case structs.ConstraintSetContains, structs.ConstraintSetContainsAll:
		return setContainsAll(splitSet(l), cc.rightSet(r))
	case structs.ConstraintSetContainsAny:
		return setContainsAny(splitSet(l), cc.rightSet(r))
	}
	return false
}

// matchRegexp matches l against the right-hand regexp.
func (cc *compiledConstraint) matchRegexp(l, r string) bool {
	re := cc.re
	if re == nil {
		var err error
		if re, err = regexp.Compile(r); err != nil {
			return false
		}
	}
	return re.MatchString(l)
}

// matchVersion checks version l against the right-hand constraint.
func (cc *compiledConstraint) matchVersion(l, r string) bool {
	vc := cc.ver
	if vc == nil {
		var err error
		if vc, err = parseVersionConstraint(r); err != nil {
			return false
		}
	}
	v, ok := parseVersion(l)
	return ok && vc.check(v)
}

// rightSet is the right-hand set, parsed now when it interpolates.
func (cc *compiledConstraint) rightSet(r string) []string {
	if cc.set != nil || cc.r.kind == targetLiteral {
		return cc.set
	}
	return splitSet(r)
}

// compareOrdered compares numerically when both sides parse as numbers,
// else lexically.
func compareOrdered(l, r, op string) bool {
	c := strings.Compare(l, r)
	if lf, err := strconv.ParseFloat(l, 64); err == nil {
		if rf, err := strconv.ParseFloat(r, 64); err == nil {
			c = 0
			if lf < rf {
				c = -1
			} else if lf > rf {
				c = 1
			}
		}
	}
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}

// splitSet splits a comma-separated set, trimming spaces.
func splitSet(s string) []string {
	parts := strings.Split(s, ",")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// setContainsAll reports whether every item of want is in have.
func setContainsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// setContainsAny reports whether some item of want is in have.
func setContainsAny(have, want []string) bool {
	for _, w := range want {
		if slices.Contains(have, w) {
			return true
		}
	}
	return false
}
