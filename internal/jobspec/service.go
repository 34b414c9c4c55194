package jobspec

import (
	"fmt"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/wharf-project/wharf/internal/structs"
	"github.com/zclconf/go-cty/cty"
)

// services reads the service blocks of a group or a task.
func (p *parser) services(body *hclsyntax.Body, path string) []*structs.Service {
	var out []*structs.Service
	for _, b := range blocksOf(body, "service") {
		spath := fmt.Sprintf("%s[%d]", path, len(out))
		if !p.open(b, spath, ctxService) {
			continue
		}
		out = append(out, p.service(b.Body, spath))
	}
	return out
}

func (p *parser) service(body *hclsyntax.Body, path string) *structs.Service {
	s := &structs.Service{}
	p.str(body, "name", path+".Name", &s.Name)
	p.strList(body, "tags", path+".Tags", &s.Tags)
	p.strList(body, "canary_tags", path+".CanaryTags", &s.CanaryTags)
	p.str(body, "port", path+".PortLabel", &s.PortLabel)
	p.str(body, "address_mode", path+".AddressMode", &s.AddressMode)
	p.str(body, "address", path+".Address", &s.Address)
	p.str(body, "task", path+".TaskName", &s.TaskName)
	p.str(body, "provider", path+".Provider", &s.Provider)
	p.str(body, "on_update", path+".OnUpdate", &s.OnUpdate)
	p.boolean(body, "enable_tag_override", path+".EnableTagOverride", &s.EnableTagOverride)
	s.Meta = p.strMap(body, "meta", path+".Meta")
	if blk := p.singleBlock(body, "check_restart"); blk != nil {
		s.CheckRestart = p.checkRestart(blk, path+".CheckRestart")
	}
	for _, b := range blocksOf(body, "check") {
		cpath := fmt.Sprintf("%s.Checks[%d]", path, len(s.Checks))
		if p.open(b, cpath, ctxCheck) {
			s.Checks = append(s.Checks, p.check(b.Body, cpath))
		}
	}
	return s
}

func (p *parser) check(body *hclsyntax.Body, path string) *structs.ServiceCheck {
	c := &structs.ServiceCheck{}
	for _, f := range []struct {
		name, field string
		dst         *string
	}{
		{"type", "Type", &c.Type}, {"name", "Name", &c.Name}, {"path", "Path", &c.Path},
		{"port", "PortLabel", &c.PortLabel}, {"method", "Method", &c.Method}, {"protocol", "Protocol", &c.Protocol},
		{"command", "Command", &c.Command}, {"initial_status", "InitialStatus", &c.InitialStatus},
		{"address_mode", "AddressMode", &c.AddressMode}, {"body", "Body", &c.Body},
		{"task", "TaskName", &c.TaskName}, {"on_update", "OnUpdate", &c.OnUpdate},
	} {
		p.str(body, f.name, path+"."+f.field, f.dst)
	}
	p.strList(body, "args", path+".Args", &c.Args)
	p.duration(body, "interval", path+".Interval", &c.Interval)
	p.duration(body, "timeout", path+".Timeout", &c.Timeout)
	p.integer(body, "success_before_passing", path+".SuccessBeforePassing", &c.SuccessBeforePassing, -anyInt, anyInt)
	p.integer(body, "failures_before_critical", path+".FailuresBeforeCritical", &c.FailuresBeforeCritical, -anyInt, anyInt)
	p.boolean(body, "tls_skip_verify", path+".TLSSkipVerify", &c.TLSSkipVerify)
	header := map[string][]string{}
	p.mapOf(body, "header", path+".Header", cty.List(cty.String), "a map of lists of strings", func(k string, v cty.Value) {
		for it := v.ElementIterator(); it.Next(); {
			if _, e := it.Element(); !e.IsNull() {
				header[k] = append(header[k], e.AsString())
			}
		}
	})
	if len(header) > 0 {
		c.Header = header
	}
	if blk := p.singleBlock(body, "check_restart"); blk != nil {
		c.CheckRestart = p.checkRestart(blk, path+".CheckRestart")
	}
	return c
}

// checkRestart reads a check_restart block; grace defaults to 1s.
func (p *parser) checkRestart(b *hclsyntax.Block, path string) *structs.CheckRestart {
	cr := &structs.CheckRestart{Grace: structs.DefaultCheckRestartGrace}
	if !p.open(b, path, ctxCheckRestart) {
		return cr
	}
	p.integer(b.Body, "limit", path+".Limit", &cr.Limit, -anyInt, anyInt)
	p.duration(b.Body, "grace", path+".Grace", &cr.Grace)
	p.boolean(b.Body, "ignore_warnings", path+".IgnoreWarnings", &cr.IgnoreWarnings)
	return cr
}
