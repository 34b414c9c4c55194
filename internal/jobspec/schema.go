package jobspec

import (
	"fmt"
	"slices"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// bodyKind is the schema of one kind of block: the arguments and blocks it
// may hold, the names that may be either (env = {...} or env {...}), and
// the Nomad names wharf knows but does not implement.
type bodyKind struct {
	name        string
	attrs       []string
	blocks      []string
	either      []string
	unsupported []string
}

// The schemas of every block kind wharf reads.
var (
	ctxFile = &bodyKind{name: "file", blocks: []string{"job", "variable", "locals"}}
	ctxJob  = &bodyKind{name: "job",
		attrs:  []string{"region", "namespace", "type", "priority", "all_at_once", "datacenters", "node_pool", "name"},
		either: []string{"meta"},
		blocks: []string{"group", "constraint", "spread", "update", "reschedule", "migrate"},
		unsupported: []string{"vault", "periodic", "parameterized", "multiregion", "affinity", "ui",
			"consul_token", "vault_token", "consul_namespace", "vault_namespace", "task"},
	}
	ctxGroup = &bodyKind{name: "group",
		attrs:  []string{"count", "shutdown_delay"},
		either: []string{"meta"},
		blocks: []string{"task", "network", "restart", "reschedule", "update", "migrate", "constraint", "spread", "service", "ephemeral_disk"},
		unsupported: []string{"affinity", "volume", "scaling", "consul", "vault", "disconnect",
			"max_client_disconnect", "stop_after_client_disconnect", "prevent_reschedule_on_lost"},
	}
	ctxTask = &bodyKind{name: "task",
		attrs:  []string{"driver", "user", "kill_timeout", "kill_signal", "leader", "shutdown_delay"},
		either: []string{"env", "meta"},
		blocks: []string{"config", "resources", "logs", "service", "restart", "constraint"},
		unsupported: []string{"artifact", "template", "vault", "volume_mount", "csi_plugin", "lifecycle",
			"dispatch_payload", "consul", "identity", "secret", "action", "scaling", "affinity", "kind", "schedule"},
	}
	ctxResources = &bodyKind{name: "resources",
		attrs: []string{"cpu", "cores", "memory", "memory_max", "disk"}, blocks: []string{"network"},
		unsupported: []string{"device", "numa", "iops", "secrets"},
	}
	ctxTaskNetwork  = &bodyKind{name: "network", attrs: []string{"mbits"}, blocks: []string{"port"}, unsupported: []string{"dns", "cni"}}
	ctxGroupNetwork = &bodyKind{name: "network", attrs: []string{"mode", "hostname", "mbits"}, blocks: []string{"port"}, unsupported: []string{"dns", "cni"}}
	ctxPort         = &bodyKind{name: "port", attrs: []string{"static", "to", "host_network"}}
	ctxService      = &bodyKind{name: "service",
		attrs: []string{"name", "tags", "canary_tags", "port", "address_mode", "address", "task", "provider",
			"on_update", "enable_tag_override"},
		either:      []string{"meta"},
		blocks:      []string{"check", "check_restart"},
		unsupported: []string{"connect", "canary_meta", "tagged_addresses", "weights", "identity", "cluster", "kind"},
	}
	ctxCheck = &bodyKind{name: "check",
		attrs: []string{"type", "name", "path", "port", "method", "protocol", "interval", "timeout", "command", "args",
			"success_before_passing", "failures_before_critical", "initial_status", "address_mode",
			"tls_skip_verify", "body", "task", "on_update"},
		either: []string{"header"},
		blocks: []string{"check_restart"},
		unsupported: []string{"expose", "grpc_service", "grpc_use_tls", "tls_server_name", "notes",
			"failures_before_warning", "advertise"},
	}
	ctxCheckRestart = &bodyKind{name: "check_restart", attrs: []string{"limit", "grace", "ignore_warnings"}}
	ctxRestart      = &bodyKind{name: "restart", attrs: []string{"attempts", "interval", "delay", "mode", "render_templates"}}
	ctxReschedule   = &bodyKind{name: "reschedule", attrs: []string{"attempts", "interval", "delay", "delay_function", "max_delay", "unlimited"}}
	ctxUpdate       = &bodyKind{name: "update", attrs: []string{"max_parallel", "health_check", "min_healthy_time",
		"healthy_deadline", "progress_deadline", "auto_revert", "auto_promote", "canary", "stagger"}}
	ctxMigrate    = &bodyKind{name: "migrate", attrs: []string{"max_parallel", "health_check", "min_healthy_time", "healthy_deadline"}}
	ctxDisk       = &bodyKind{name: "ephemeral_disk", attrs: []string{"size", "sticky", "migrate"}}
	ctxLogs       = &bodyKind{name: "logs", attrs: []string{"max_files", "max_file_size", "disabled", "enabled"}}
	ctxConstraint = &bodyKind{name: "constraint", attrs: []string{"attribute", "operator", "value", "distinct_hosts",
		"distinct_property", "regexp", "version", "semver", "set_contains", "set_contains_all", "set_contains_any"}}
	ctxSpread   = &bodyKind{name: "spread", attrs: []string{"attribute", "weight"}, blocks: []string{"target"}}
	ctxTarget   = &bodyKind{name: "target", attrs: []string{"percent"}}
	ctxVariable = &bodyKind{name: "variable", attrs: []string{"type", "default", "description", "sensitive", "nullable"},
		unsupported: []string{"validation"}}
)

// checkBody reports every argument and block of body that kind does not
// allow: Nomad features wharf lacks, names used as the wrong kind (an
// argument written as a block), and unknown names with a suggestion.
func (p *parser) checkBody(body *hclsyntax.Body, kind *bodyKind) {
	for _, a := range sortedAttrs(body) {
		switch {
		case slices.Contains(kind.attrs, a.Name) || slices.Contains(kind.either, a.Name):
		case slices.Contains(kind.unsupported, a.Name):
			p.unsupported(a.NameRange, a.Name)
		case slices.Contains(kind.blocks, a.Name):
			p.errorf(a.NameRange, "", "Unsupported argument", fmt.Sprintf("write %s { ... }", a.Name),
				"%q is a block in a %s block, not an argument", a.Name, kind.name)
		default:
			p.errorf(a.NameRange, "", "Unsupported argument", suggest(a.Name, kind),
				"an argument named %q is not expected in a %s block", a.Name, kind.name)
		}
	}
	for _, b := range body.Blocks {
		switch {
		case slices.Contains(kind.blocks, b.Type) || slices.Contains(kind.either, b.Type):
		case slices.Contains(kind.unsupported, b.Type) || b.Type == "dynamic" && kind != ctxFile:
			p.unsupported(b.TypeRange, b.Type)
		case slices.Contains(kind.attrs, b.Type):
			p.errorf(b.TypeRange, "", "Unsupported block type", fmt.Sprintf("write %s = ...", b.Type),
				"%q is an argument in a %s block, not a block", b.Type, kind.name)
		default:
			p.errorf(b.TypeRange, "", "Unsupported block type", suggest(b.Type, kind),
				"blocks of type %q are not expected in a %s block", b.Type, kind.name)
		}
	}
}

// unsupported reports a Nomad feature wharf does not implement.
func (p *parser) unsupported(rng hcl.Range, name string) {
	hint, ok := unsupportedHints[name]
	if !ok {
		hint = "remove it"
	}
	p.errorf(rng, "", "Unsupported feature", hint, "%q is not supported by wharf", name)
}

// suggest returns a "did you mean" hint for a misspelt name, or "".
func suggest(name string, kind *bodyKind) string {
	best, bestDist := "", 3
	for _, list := range [][]string{kind.attrs, kind.blocks, kind.either} {
		for _, cand := range list {
			if d := editDistance(name, cand); d < bestDist {
				best, bestDist = cand, d
			}
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("did you mean %q?", best)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// sortedAttrs returns body's attributes in source order.
func sortedAttrs(body *hclsyntax.Body) []*hclsyntax.Attribute {
	out := make([]*hclsyntax.Attribute, 0, len(body.Attributes))
	for _, a := range body.Attributes {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SrcRange.Start.Byte < out[j].SrcRange.Start.Byte })
	return out
}

// blocksOf returns body's blocks of one type, in source order.
func blocksOf(body *hclsyntax.Body, typ string) []*hclsyntax.Block {
	var out []*hclsyntax.Block
	for _, b := range body.Blocks {
		if b.Type == typ {
			out = append(out, b)
		}
	}
	return out
}

// singleBlock returns body's only block of a type, reporting any more.
func (p *parser) singleBlock(body *hclsyntax.Body, typ string) *hclsyntax.Block {
	bs := blocksOf(body, typ)
	for _, extra := range bs[min(1, len(bs)):] {
		p.errorf(extra.TypeRange, "", "Duplicate "+typ+" block", "merge them into one",
			"only one %s block is allowed here; the first is at line %d", typ, bs[0].TypeRange.Start.Line)
	}
	if len(bs) == 0 {
		return nil
	}
	return bs[0]
}

// labels checks that b has exactly n labels; what names the label.
func (p *parser) labels(b *hclsyntax.Block, n int, what string) bool {
	if len(b.Labels) == n {
		return true
	}
	if len(b.Labels) < n {
		p.errorf(b.DefRange(), "", "Missing "+what, fmt.Sprintf("write %s %q { ... }", b.Type, "name"),
			"a %s block needs a %s", b.Type, what)
		return false
	}
	p.errorf(b.LabelRanges[n], "", "Extra label", "",
		"a %s block takes %d label(s), this one has %d", b.Type, n, len(b.Labels))
	return false
}
