package taskenv

import "strings"

// Replace interpolates every ${...} in s: environment variables by name,
// ${attr.X} and ${meta.X} from the node's attributes and meta, and
// ${node.unique.id}, ${node.unique.name}, ${node.datacenter},
// ${node.region}, ${node.class} and ${node.pool}. Unknown references are
// left as written.
func (e *Env) Replace(s string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i+2:], '}')
		if j < 0 {
			break
		}
		ref := s[i+2 : i+2+j]
		b.WriteString(s[:i])
		if v, ok := e.lookup(ref); ok {
			b.WriteString(v)
		} else {
			b.WriteString(s[i : i+3+j])
		}
		s = s[i+3+j:]
	}
	b.WriteString(s)
	return b.String()
}

// lookup resolves one reference.
func (e *Env) lookup(ref string) (string, bool) {
	ref = strings.TrimSpace(ref)
	if v, ok := e.vars[ref]; ok {
		return v, true
	}
	if k, ok := strings.CutPrefix(ref, "attr."); ok {
		v, ok := e.node.Attributes[k]
		return v, ok
	}
	if k, ok := strings.CutPrefix(ref, "meta."); ok {
		v, ok := e.node.Meta[k]
		return v, ok
	}
	n := e.node
	switch ref {
	case "node.unique.id":
		return n.ID, true
	case "node.unique.name":
		return n.Name, true
	case "node.datacenter":
		return n.Datacenter, true
	case "node.region":
		return e.region, true
	case "node.class":
		return n.NodeClass, true
	case "node.pool":
		return n.NodePool, true
	}
	return "", false
}

// ReplaceConfig returns a copy of a driver config with every string in it
// (map keys included, at any depth) interpolated.
func (e *Env) ReplaceConfig(cfg map[string]any) map[string]any {
	if cfg == nil {
		return nil
	}
	out := make(map[string]any, len(cfg))
	for k, v := range cfg {
		out[e.Replace(k)] = e.replaceValue(v)
	}
	return out
}

func (e *Env) replaceValue(v any) any {
	switch x := v.(type) {
	case string:
		return e.Replace(x)
	case map[string]any:
		return e.ReplaceConfig(x)
	case map[string]string:
		out := make(map[string]string, len(x))
		for k, s := range x {
			out[e.Replace(k)] = e.Replace(s)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, el := range x {
			out[i] = e.replaceValue(el)
		}
		return out
	case []string:
		out := make([]string, len(x))
		for i, s := range x {
			out[i] = e.Replace(s)
		}
		return out
	case []map[string]any:
		out := make([]map[string]any, len(x))
		for i, m := range x {
			out[i] = e.ReplaceConfig(m)
		}
		return out
	}
	return v
}
