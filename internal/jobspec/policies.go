package jobspec

import (
	"fmt"
	"strconv"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/wharf-project/wharf/internal/structs"
)

// restart reads a restart block over base.
func (p *parser) restart(b *hclsyntax.Block, path string, base *structs.RestartPolicy) *structs.RestartPolicy {
	r := base.Copy()
	if !p.open(b, path, ctxRestart) {
		return r
	}
	body := b.Body
	p.integer(body, "attempts", path+".Attempts", &r.Attempts, -anyInt, anyInt)
	p.duration(body, "interval", path+".Interval", &r.Interval)
	p.duration(body, "delay", path+".Delay", &r.Delay)
	p.str(body, "mode", path+".Mode", &r.Mode)
	p.boolean(body, "render_templates", path+".RenderTemplates", &r.RenderTemplates)
	return r
}

// reschedule reads a reschedule block over base.
func (p *parser) reschedule(b *hclsyntax.Block, path string, base *structs.ReschedulePolicy) *structs.ReschedulePolicy {
	r := base.Copy()
	if !p.open(b, path, ctxReschedule) {
		return r
	}
	body := b.Body
	p.integer(body, "attempts", path+".Attempts", &r.Attempts, -anyInt, anyInt)
	p.duration(body, "interval", path+".Interval", &r.Interval)
	p.duration(body, "delay", path+".Delay", &r.Delay)
	p.str(body, "delay_function", path+".DelayFunction", &r.DelayFunction)
	p.duration(body, "max_delay", path+".MaxDelay", &r.MaxDelay)
	p.boolean(body, "unlimited", path+".Unlimited", &r.Unlimited)
	return r
}

// update reads an update block over base.
func (p *parser) update(b *hclsyntax.Block, path string, base *structs.UpdateStrategy) *structs.UpdateStrategy {
	u := base.Copy()
	if !p.open(b, path, ctxUpdate) {
		return u
	}
	body := b.Body
	p.integer(body, "max_parallel", path+".MaxParallel", &u.MaxParallel, -anyInt, anyInt)
	p.str(body, "health_check", path+".HealthCheck", &u.HealthCheck)
	p.duration(body, "min_healthy_time", path+".MinHealthyTime", &u.MinHealthyTime)
	p.duration(body, "healthy_deadline", path+".HealthyDeadline", &u.HealthyDeadline)
	p.duration(body, "progress_deadline", path+".ProgressDeadline", &u.ProgressDeadline)
	p.boolean(body, "auto_revert", path+".AutoRevert", &u.AutoRevert)
	p.boolean(body, "auto_promote", path+".AutoPromote", &u.AutoPromote)
	p.integer(body, "canary", path+".Canary", &u.Canary, -anyInt, anyInt)
	p.duration(body, "stagger", path+".Stagger", &u.Stagger)
	return u
}

// ephemeralDisk reads an ephemeral_disk block over the default.
func (p *parser) ephemeralDisk(b *hclsyntax.Block, path string) *structs.EphemeralDisk {
	d := structs.DefaultEphemeralDisk()
	if !p.open(b, path, ctxDisk) {
		return d
	}
	p.integer(b.Body, "size", path+".SizeMB", &d.SizeMB, -anyInt, anyInt)
	p.boolean(b.Body, "sticky", path+".Sticky", &d.Sticky)
	p.boolean(b.Body, "migrate", path+".Migrate", &d.Migrate)
	return d
}

// logs reads a logs block over the default.
func (p *parser) logs(b *hclsyntax.Block, path string) *structs.LogConfig {
	l := structs.DefaultLogConfig()
	if !p.open(b, path, ctxLogs) {
		return l
	}
	p.integer(b.Body, "max_files", path+".MaxFiles", &l.MaxFiles, -anyInt, anyInt)
	p.integer(b.Body, "max_file_size", path+".MaxFileSizeMB", &l.MaxFileSizeMB, -anyInt, anyInt)
	p.boolean(b.Body, "disabled", path+".Disabled", &l.Disabled)
	var enabled bool
	if p.boolean(b.Body, "enabled", path+".Disabled", &enabled) {
		l.Disabled = !enabled
	}
	return l
}

// open records an unlabelled block's position and checks its body.
func (p *parser) open(b *hclsyntax.Block, path string, kind *bodyKind) bool {
	p.at(path, b.DefRange())
	if !p.labels(b, 0, "label") {
		return false
	}
	p.checkBody(b.Body, kind)
	return true
}

// constraintShorthands are the arguments that set a constraint's operator
// and value at once, as in regexp = "^web".
var constraintShorthands = []string{
	structs.ConstraintRegex, structs.ConstraintVersion, structs.ConstraintSemver,
	structs.ConstraintSetContains, structs.ConstraintSetContainsAll, structs.ConstraintSetContainsAny,
}

// constraints reads the constraint blocks of body.
func (p *parser) constraints(body *hclsyntax.Body, path string) []*structs.Constraint {
	var out []*structs.Constraint
	for _, b := range blocksOf(body, "constraint") {
		cpath := fmt.Sprintf("%s[%d]", path, len(out))
		if !p.open(b, cpath, ctxConstraint) {
			continue
		}
		if c := p.constraint(b.Body, cpath); c != nil {
			out = append(out, c)
		}
	}
	return out
}

// constraint reads one constraint; distinct_hosts = false means none.
func (p *parser) constraint(body *hclsyntax.Body, path string) *structs.Constraint {
	c := &structs.Constraint{}
	p.str(body, "attribute", path+".LTarget", &c.LTarget)
	p.str(body, "operator", path+".Operand", &c.Operand)
	p.str(body, "value", path+".RTarget", &c.RTarget)
	var shorthands []string
	for _, op := range constraintShorthands {
		if p.str(body, op, path+".RTarget", &c.RTarget) {
			c.Operand = op
			shorthands = append(shorthands, op)
		}
	}
	if p.str(body, "distinct_property", path+".LTarget", &c.LTarget) {
		c.Operand = structs.ConstraintDistinctProperty
		shorthands = append(shorthands, "distinct_property")
	}
	var distinct bool
	if p.boolean(body, "distinct_hosts", path+".Operand", &distinct) {
		shorthands = append(shorthands, "distinct_hosts")
		if !distinct {
			return nil
		}
		c.Operand = structs.ConstraintDistinctHosts
	}
	if len(shorthands) > 1 || len(shorthands) == 1 && body.Attributes["operator"] != nil {
		p.errorf(body.SrcRange, path+".Operand", "Conflicting constraint operators", "write one constraint block per condition",
			"a constraint sets more than one operator: %v", shorthands)
	}
	return c
}

// spreads reads the spread blocks of body.
func (p *parser) spreads(body *hclsyntax.Body, path string) []*structs.Spread {
	var out []*structs.Spread
	for _, b := range blocksOf(body, "spread") {
		spath := fmt.Sprintf("%s[%d]", path, len(out))
		if !p.open(b, spath, ctxSpread) {
			continue
		}
		s := &structs.Spread{}
		p.str(b.Body, "attribute", spath+".Attribute", &s.Attribute)
		var weight int
		if p.integer(b.Body, "weight", spath+".Weight", &weight, -128, 127) {
			s.Weight = int8(weight)
		}
		s.SpreadTarget = p.spreadTargets(b.Body, spath+".SpreadTarget")
		out = append(out, s)
	}
	return out
}

func (p *parser) spreadTargets(body *hclsyntax.Body, path string) []*structs.SpreadTarget {
	var out []*structs.SpreadTarget
	for _, b := range blocksOf(body, "target") {
		p.at(path, b.DefRange())
		if !p.labels(b, 1, "value") {
			continue
		}
		p.checkBody(b.Body, ctxTarget)
		t := &structs.SpreadTarget{Value: b.Labels[0]}
		var pct int
		if p.integer(b.Body, "percent", path+"["+strconv.Quote(t.Value)+"]", &pct, 0, 100) {
			t.Percent = uint8(pct)
		}
		out = append(out, t)
	}
	return out
}
