package jobspec

import (
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/wharf-project/wharf/internal/structs"
)

// job reads the job block.
func (p *parser) job(b *hclsyntax.Block) *structs.Job {
	j := &structs.Job{}
	p.jobRange = b.DefRange()
	if p.labels(b, 1, "name") {
		j.ID = b.Labels[0]
		p.at("ID", b.LabelRanges[0])
	} else {
		p.failed["ID"], p.failed["Name"] = true, true
	}
	body := b.Body
	p.checkBody(body, ctxJob)
	p.str(body, "name", "Name", &j.Name)
	p.str(body, "region", "Region", &j.Region)
	p.str(body, "namespace", "Namespace", &j.Namespace)
	p.str(body, "type", "Type", &j.Type)
	p.integer(body, "priority", "Priority", &j.Priority, -anyInt, anyInt)
	p.boolean(body, "all_at_once", "AllAtOnce", &j.AllAtOnce)
	p.strList(body, "datacenters", "Datacenters", &j.Datacenters)
	p.str(body, "node_pool", "NodePool", &j.NodePool)
	j.Meta = p.strMap(body, "meta", "Meta")
	p.jobType = j.Type
	if p.jobType == "" {
		p.jobType = structs.JobTypeService
	}
	j.Constraints = p.constraints(body, "Constraints")
	j.Spreads = p.spreads(body, "Spreads")
	if blk := p.singleBlock(body, "update"); blk != nil {
		j.Update = p.update(blk, "Update", structs.DefaultUpdateStrategy())
	}
	if blk := p.singleBlock(body, "reschedule"); blk != nil {
		j.Reschedule = p.reschedule(blk, "Reschedule", structs.DefaultReschedulePolicy(p.jobType))
	}
	if blk := p.singleBlock(body, "migrate"); blk != nil {
		j.Migrate = p.migrate(blk, "Migrate", structs.DefaultMigrateStrategy())
	}
	j.TaskGroups = p.groups(body, j)
	return j
}

// groups reads the group blocks; a group whose name repeats is reported
// and checked, but left out of the job.
func (p *parser) groups(body *hclsyntax.Body, j *structs.Job) []*structs.TaskGroup {
	seen := map[string]hcl.Range{}
	var out []*structs.TaskGroup
	for _, b := range blocksOf(body, "group") {
		if !p.labels(b, 1, "name") {
			continue
		}
		name := b.Labels[0]
		path := fmt.Sprintf("TaskGroups[%q]", name)
		if first, dup := seen[name]; dup {
			p.errorf(b.LabelRanges[0], "", "Duplicate group", "give each group a distinct name",
				"a group named %q was already defined at line %d", name, first.Start.Line)
			p.group(b, j, path+"#duplicate")
			continue
		}
		seen[name] = b.DefRange()
		out = append(out, p.group(b, j, path))
	}
	return out
}

// group reads one group block. Its restart, reschedule and update blocks
// start from the job's (or Nomad's defaults) and override what they set.
func (p *parser) group(b *hclsyntax.Block, j *structs.Job, path string) *structs.TaskGroup {
	tg := &structs.TaskGroup{Name: b.Labels[0], Count: 1}
	p.at(path, b.DefRange())
	body := b.Body
	p.checkBody(body, ctxGroup)
	p.integer(body, "count", path+".Count", &tg.Count, -anyInt, anyInt)
	var delay time.Duration
	if p.duration(body, "shutdown_delay", path+".ShutdownDelay", &delay) {
		tg.ShutdownDelay = &delay
	}
	tg.Meta = p.strMap(body, "meta", path+".Meta")
	tg.Constraints = p.constraints(body, path+".Constraints")
	tg.Spreads = p.spreads(body, path+".Spreads")
	restart := structs.DefaultRestartPolicy(p.jobType)
	if blk := p.singleBlock(body, "restart"); blk != nil {
		restart = p.restart(blk, path+".RestartPolicy", restart)
		tg.RestartPolicy = restart
	}
	if blk := p.singleBlock(body, "reschedule"); blk != nil {
		base := j.Reschedule.Copy()
		if base == nil {
			base = structs.DefaultReschedulePolicy(p.jobType)
		}
		tg.ReschedulePolicy = p.reschedule(blk, path+".ReschedulePolicy", base)
	}
	if blk := p.singleBlock(body, "update"); blk != nil {
		base := j.Update.Copy()
		if base == nil {
			base = structs.DefaultUpdateStrategy()
		}
		tg.Update = p.update(blk, path+".Update", base)
	}
	if blk := p.singleBlock(body, "migrate"); blk != nil {
		base := j.Migrate.Copy()
		if base == nil {
			base = structs.DefaultMigrateStrategy()
		}
		tg.Migrate = p.migrate(blk, path+".Migrate", base)
	}
	if blk := p.singleBlock(body, "ephemeral_disk"); blk != nil {
		tg.EphemeralDisk = p.ephemeralDisk(blk, path+".EphemeralDisk")
	}
	ports := portDecls{}
	if blk := p.singleBlock(body, "network"); blk != nil {
		tg.Networks = []*structs.NetworkResource{p.network(blk, path+".Networks[0]", ctxGroupNetwork, ports)}
	}
	tg.Tasks = p.tasks(body, path, restart, ports)
	tg.Services = p.services(body, path+".Services")
	return tg
}
