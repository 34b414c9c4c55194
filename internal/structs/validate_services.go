package structs

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// portSet is the port labels visible at one place of a group: the group
// network's, plus a task's own when it is a task's set. All sets of a group
// share one allocation-wide record, since labels are unique per allocation.
type portSet struct {
	parent *portSet
	labels map[string]bool
	alloc  map[string]bool
}

func newPortSet() *portSet {
	return &portSet{labels: map[string]bool{}, alloc: map[string]bool{}}
}

// child returns a set that sees s's labels and adds its own.
func (s *portSet) child() *portSet {
	return &portSet{parent: s, labels: map[string]bool{}, alloc: s.alloc}
}

func (s *portSet) has(label string) bool {
	for ; s != nil; s = s.parent {
		if s.labels[label] {
			return true
		}
	}
	return false
}

// declare records label and reports whether it was new in the allocation.
func (s *portSet) declare(label string) bool {
	if s.alloc[label] {
		return false
	}
	s.alloc[label], s.labels[label] = true, true
	return true
}

func (v *validator) network(path string, n *NetworkResource, ports *portSet) {
	if n == nil {
		v.add(path, "", "missing network")
		return
	}
	switch {
	case n.Mode == "" || n.Mode == "host" || n.Mode == "bridge" || n.Mode == "none":
	case strings.HasPrefix(n.Mode, "cni/"):
		v.add(path+".Mode", `use mode = "bridge" or "host"`, "CNI network mode %q is not supported by wharf", n.Mode)
	default:
		v.add(path+".Mode", `use "host", "bridge" or "none"`, "unknown network mode %q", n.Mode)
	}
	if n.MBits < 0 {
		v.add(path+".MBits", "", "mbits must not be negative")
	}
	for _, p := range n.ReservedPorts {
		pp := fmt.Sprintf("%s.ReservedPorts[%q]", path, p.Label)
		v.port(pp, p, ports)
		if p.Value < 1 || p.Value > 65535 {
			v.add(pp+".Value", "", "static port %d is out of range 1-65535", p.Value)
		}
	}
	for _, p := range n.DynamicPorts {
		v.port(fmt.Sprintf("%s.DynamicPorts[%q]", path, p.Label), p, ports)
	}
}

func (v *validator) port(path string, p Port, ports *portSet) {
	if p.Label == "" {
		v.add(path, "", "missing port label")
		return
	}
	if !ports.declare(p.Label) {
		v.add(path, "port labels are shared by all tasks of a group", "duplicate port label %q", p.Label)
	}
	if p.To < -1 || p.To > 65535 {
		v.add(path+".To", "", "port to = %d is out of range 0-65535", p.To)
	}
}

// services checks the services of a group (task nil) or of a task.
func (v *validator) services(path string, svcs []*Service, ports *portSet, group bool) {
	seen := map[string]bool{}
	for i, s := range svcs {
		p := fmt.Sprintf("%s[%d]", path, i)
		if s == nil {
			v.add(p, "", "missing service")
			continue
		}
		key := s.Name + "\x00" + s.PortLabel
		if seen[key] {
			v.add(p+".Name", "give each service of a task a distinct name or port", "duplicate service %q on port %q", s.Name, s.PortLabel)
		}
		seen[key] = true
		v.service(p, s, ports, group)
	}
}

func (v *validator) service(p string, s *Service, ports *portSet, group bool) {
	v.serviceName(p, s.Name)
	switch s.AddressMode {
	case "", "auto", "host", "driver", "alloc":
	default:
		v.add(p+".AddressMode", `use "auto", "host", "driver" or "alloc"`, "unknown address mode %q", s.AddressMode)
	}
	switch s.Provider {
	case "", "consul", "nomad":
	default:
		v.add(p+".Provider", `use "consul" or "nomad": both register in wharf's catalog`, "unknown service provider %q", s.Provider)
	}
	switch s.OnUpdate {
	case "", "require_healthy", "ignore_warnings", "ignore":
	default:
		v.add(p+".OnUpdate", `use "require_healthy", "ignore_warnings" or "ignore"`, "unknown on_update %q", s.OnUpdate)
	}
	if s.PortLabel != "" {
		v.portRef(p+".PortLabel", s.PortLabel, s.AddressMode, ports, group)
	}
	v.checkRestart(p+".CheckRestart", s.CheckRestart)
	for _, l := range CheckServiceLabels("Tags", s.Tags, s.Meta) {
		v.add(p+"."+l.Field, "", "%s", l.Msg)
	}
	for _, l := range CheckServiceLabels("CanaryTags", s.CanaryTags, nil) {
		v.add(p+"."+l.Field, "", "%s", l.Msg)
	}
	for i, c := range s.Checks {
		cp := fmt.Sprintf("%s.Checks[%d]", p, i)
		if c == nil {
			v.add(cp, "", "missing check")
			continue
		}
		v.check(cp, s, c, ports, group)
	}
}

// serviceName checks that a service name can be a DNS label; names that
// interpolate are checked when the task runs.
func (v *validator) serviceName(p, name string) {
	if name == "" {
		v.add(p+".Name", "", "missing service name")
		return
	}
	if strings.Contains(name, "${") {
		return
	}
	if len(name) > 63 || !dnsLabel(name) {
		v.add(p+".Name", "use at most 63 letters, digits and dashes, not starting or ending with a dash",
			"service name %q is not a valid DNS name", name)
	}
}

func dnsLabel(s string) bool {
	for i, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' && i > 0 && i < len(s)-1
		if !ok {
			return false
		}
	}
	return true
}

// portRef checks a service's or check's port: a declared label, or a
// number when the address is the task's own.
func (v *validator) portRef(path, label, addressMode string, ports *portSet, group bool) {
	if _, err := strconv.Atoi(label); err == nil {
		if addressMode != "driver" && addressMode != "alloc" {
			v.add(path, `use a port label declared in the group's network block, or address_mode = "driver"`,
				"a numeric port %s needs address_mode driver or alloc", label)
		}
		return
	}
	if ports.has(label) {
		return
	}
	hint := fmt.Sprintf(`declare it in the group: network { port %q {} }`, label)
	if group {
		hint = fmt.Sprintf(`group services see only the group's ports: declare network { port %q {} } in the group`, label)
	}
	v.add(path, hint, "port label %q is not declared", label)
}

func (v *validator) check(p string, s *Service, c *ServiceCheck, ports *portSet, group bool) {
	switch c.Type {
	case CheckTypeTCP, CheckTypeHTTP:
		v.networkCheck(p, s, c, ports, group)
	case CheckTypeScript:
		if c.Command == "" {
			v.add(p+".Command", "", "script check needs a command")
		}
		if group && c.TaskName == "" {
			v.add(p+".TaskName", "set task = \"name\" to say which task runs the script", "a group service's script check needs a task")
		}
	case "grpc":
		v.add(p+".Type", `use a "tcp" or "http" check`, "grpc checks are not supported by wharf")
	case "":
		v.add(p+".Type", `set type = "tcp", "http" or "script"`, "missing check type")
	default:
		v.add(p+".Type", `use "tcp", "http" or "script"`, "unknown check type %q", c.Type)
	}
	if c.Interval < time.Second {
		v.add(p+".Interval", `set interval = "10s" or similar`, "check interval %s is below the minimum of 1s", c.Interval)
	}
	if c.Timeout <= 0 {
		v.add(p+".Timeout", `set timeout = "2s" or similar`, "check timeout must be positive")
	}
	switch c.InitialStatus {
	case "", "passing", "warning", "critical":
	default:
		v.add(p+".InitialStatus", `use "passing", "warning" or "critical"`, "unknown initial status %q", c.InitialStatus)
	}
	v.checkBounds(p, c)
	if c.SuccessBeforePassing < 0 || c.FailuresBeforeCritical < 0 {
		v.add(p, "", "success_before_passing and failures_before_critical must not be negative")
	}
	v.checkRestart(p+".CheckRestart", c.CheckRestart)
}

// networkCheck checks what tcp and http checks need: a port, and a path
// for http.
func (v *validator) networkCheck(p string, s *Service, c *ServiceCheck, ports *portSet, group bool) {
	if c.Type == CheckTypeHTTP {
		if c.Path == "" {
			v.add(p+".Path", `set path = "/health" or similar`, "http check needs a path")
		}
		switch c.Protocol {
		case "", "http", "https":
		default:
			v.add(p+".Protocol", `use "http" or "https"`, "unknown check protocol %q", c.Protocol)
		}
	}
	mode := c.AddressMode
	if mode == "" {
		mode = s.AddressMode
	}
	switch {
	case c.PortLabel != "":
		v.portRef(p+".PortLabel", c.PortLabel, mode, ports, group)
	case s.PortLabel == "":
		v.add(p+".PortLabel", "set port on the service or the check", "%s check needs a port", c.Type)
	}
}

func (v *validator) checkRestart(p string, cr *CheckRestart) {
	if cr == nil {
		return
	}
	v.checkRestartBounds(p, cr)
	if cr.Limit < 0 {
		v.add(p+".Limit", "", "check_restart limit must not be negative")
	}
	if cr.Grace < 0 {
		v.add(p+".Grace", "", "check_restart grace must not be negative")
	}
}
