package jobspec

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/wharf-project/wharf/internal/structs"
)

// tasks reads a group's task blocks; restart is the group's effective
// restart policy, the base of a task's own restart block.
func (p *parser) tasks(body *hclsyntax.Body, gpath string, restart *structs.RestartPolicy, ports portDecls) []*structs.Task {
	seen := map[string]hcl.Range{}
	var out []*structs.Task
	for _, b := range blocksOf(body, "task") {
		if !p.labels(b, 1, "name") {
			continue
		}
		name := b.Labels[0]
		path := fmt.Sprintf("%s.Tasks[%q]", gpath, name)
		if first, dup := seen[name]; dup {
			p.errorf(b.LabelRanges[0], "", "Duplicate task", "give each task of a group a distinct name",
				"a task named %q was already defined at line %d", name, first.Start.Line)
			p.task(b, path+"#duplicate", restart, ports)
			continue
		}
		seen[name] = b.DefRange()
		out = append(out, p.task(b, path, restart, ports))
	}
	return out
}

// task reads one task block.
func (p *parser) task(b *hclsyntax.Block, path string, restart *structs.RestartPolicy, ports portDecls) *structs.Task {
	t := &structs.Task{Name: b.Labels[0]}
	p.at(path, b.DefRange())
	body := b.Body
	p.checkBody(body, ctxTask)
	p.str(body, "driver", path+".Driver", &t.Driver)
	p.str(body, "user", path+".User", &t.User)
	p.duration(body, "kill_timeout", path+".KillTimeout", &t.KillTimeout)
	p.str(body, "kill_signal", path+".KillSignal", &t.KillSignal)
	p.boolean(body, "leader", path+".Leader", &t.Leader)
	p.duration(body, "shutdown_delay", path+".ShutdownDelay", &t.ShutdownDelay)
	t.Env = p.strMap(body, "env", path+".Env")
	t.Meta = p.strMap(body, "meta", path+".Meta")
	if blk := p.singleBlock(body, "config"); blk != nil {
		t.Config = p.config(blk, path+".Config")
	}
	if blk := p.singleBlock(body, "resources"); blk != nil {
		t.Resources = p.resources(blk, path+".Resources", ports)
	}
	if blk := p.singleBlock(body, "logs"); blk != nil {
		t.LogConfig = p.logs(blk, path+".LogConfig")
	}
	if blk := p.singleBlock(body, "restart"); blk != nil {
		t.RestartPolicy = p.restart(blk, path+".RestartPolicy", restart)
	}
	t.Constraints = p.constraints(body, path+".Constraints")
	t.Services = p.services(body, path+".Services")
	return t
}

// resources reads a task's resources block. cpu and memory left out get
// their defaults later, in Canonicalize (so that cores alone stays alone).
func (p *parser) resources(b *hclsyntax.Block, path string, ports portDecls) *structs.Resources {
	r := &structs.Resources{}
	if !p.open(b, path, ctxResources) {
		return r
	}
	body := b.Body
	cpuSet := p.integer(body, "cpu", path+".CPU", &r.CPU, -anyInt, anyInt)
	p.integer(body, "cores", path+".Cores", &r.Cores, -anyInt, anyInt)
	memSet := p.integer(body, "memory", path+".MemoryMB", &r.MemoryMB, -anyInt, anyInt)
	// Zero would be taken for "unset" and defaulted: refuse it here.
	if cpuSet && r.CPU < 1 && r.Cores == 0 {
		p.errorf(body.Attributes["cpu"].Expr.Range(), path+".CPU", "Invalid value", "", "cpu %d MHz is below the minimum of 1", r.CPU)
	}
	if memSet && r.MemoryMB < 1 {
		p.errorf(body.Attributes["memory"].Expr.Range(), path+".MemoryMB", "Invalid value", "", "memory %d MB is below the minimum of 10 MB", r.MemoryMB)
	}
	p.integer(body, "memory_max", path+".MemoryMaxMB", &r.MemoryMaxMB, -anyInt, anyInt)
	p.integer(body, "disk", path+".DiskMB", &r.DiskMB, -anyInt, anyInt)
	if blk := p.singleBlock(body, "network"); blk != nil {
		r.Networks = []*structs.NetworkResource{p.network(blk, path+".Networks[0]", ctxTaskNetwork, ports)}
	}
	return r
}
