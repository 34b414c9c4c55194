package jobspec

import (
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/wharf-project/wharf/internal/structs"
)

// migrate reads a migrate block over base.
func (p *parser) migrate(b *hclsyntax.Block, path string, base *structs.MigrateStrategy) *structs.MigrateStrategy {
	m := base.Copy()
	if !p.open(b, path, ctxMigrate) {
		return m
	}
	body := b.Body
	p.integer(body, "max_parallel", path+".MaxParallel", &m.MaxParallel, -anyInt, anyInt)
	p.str(body, "health_check", path+".HealthCheck", &m.HealthCheck)
	p.duration(body, "min_healthy_time", path+".MinHealthyTime", &m.MinHealthyTime)
	p.duration(body, "healthy_deadline", path+".HealthyDeadline", &m.HealthyDeadline)
	return m
}
