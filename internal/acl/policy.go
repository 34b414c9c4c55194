package acl

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// Policy levels of a rule.
const (
	PolicyDeny  = "deny"
	PolicyRead  = "read"
	PolicyWrite = "write"
	PolicyScale = "scale"
	PolicyList  = "list"
)

// Namespace capabilities, Nomad's names.
const (
	CapDeny                 = "deny"
	CapListJobs             = "list-jobs"
	CapParseJob             = "parse-job"
	CapReadJob              = "read-job"
	CapSubmitJob            = "submit-job"
	CapDispatchJob          = "dispatch-job"
	CapReadLogs             = "read-logs"
	CapReadFS               = "read-fs"
	CapAllocExec            = "alloc-exec"
	CapAllocNodeExec        = "alloc-node-exec"
	CapAllocLifecycle       = "alloc-lifecycle"
	CapCSIRegisterPlugin    = "csi-register-plugin"
	CapCSIWriteVolume       = "csi-write-volume"
	CapCSIReadVolume        = "csi-read-volume"
	CapCSIListVolume        = "csi-list-volume"
	CapCSIMountVolume       = "csi-mount-volume"
	CapListScalingPolicies  = "list-scaling-policies"
	CapReadScalingPolicy    = "read-scaling-policy"
	CapReadJobScaling       = "read-job-scaling"
	CapScaleJob             = "scale-job"
	CapSubmitRecommendation = "submit-recommendation"
	CapSentinelOverride     = "sentinel-override"
)

// MaxRulesBytes bounds the size of one policy's rules.
const MaxRulesBytes = 32 << 10

// ErrInvalidPolicy is wrapped by every error of Parse.
var ErrInvalidPolicy = errors.New("invalid ACL policy")

var validCaps = []string{
	CapDeny, CapListJobs, CapParseJob, CapReadJob, CapSubmitJob, CapDispatchJob,
	CapReadLogs, CapReadFS, CapAllocExec, CapAllocNodeExec, CapAllocLifecycle,
	CapCSIRegisterPlugin, CapCSIWriteVolume, CapCSIReadVolume, CapCSIListVolume,
	CapCSIMountVolume, CapListScalingPolicies, CapReadScalingPolicy, CapReadJobScaling,
	CapScaleJob, CapSubmitRecommendation, CapSentinelOverride,
}

// readCaps are what a namespace "read" policy grants.
var readCaps = []string{
	CapListJobs, CapParseJob, CapReadJob, CapCSIListVolume, CapCSIReadVolume,
	CapReadJobScaling, CapListScalingPolicies, CapReadScalingPolicy,
}

// writeCaps are what "write" grants on top of readCaps.
var writeCaps = []string{
	CapScaleJob, CapSubmitJob, CapDispatchJob, CapReadLogs, CapReadFS, CapAllocExec,
	CapAllocLifecycle, CapCSIMountVolume, CapCSIWriteVolume, CapSubmitRecommendation,
}

// scaleCaps are what "scale" grants.
var scaleCaps = []string{CapListScalingPolicies, CapReadScalingPolicy, CapReadJobScaling, CapScaleJob}

// Policy is one parsed policy document.
type Policy struct {
	Namespaces      []*NamespaceRule `hcl:"namespace,block"`
	Node            *LevelRule       `hcl:"node,block"`
	Agent           *LevelRule       `hcl:"agent,block"`
	Operator        *LevelRule       `hcl:"operator,block"`
	Plugin          *LevelRule       `hcl:"plugin,block"`
	Quota           *LevelRule       `hcl:"quota,block"`
	Registry        *LevelRule       `hcl:"registry,block"`
	Services        []*ServiceRule   `hcl:"service,block"`
	ServicePrefixes []*ServiceRule   `hcl:"service_prefix,block"`
}

// NamespaceRule grants a policy and capabilities on the namespaces whose
// name matches Name (which may hold * globs).
type NamespaceRule struct {
	Name         string   `hcl:"name,label"`
	Policy       string   `hcl:"policy,optional"`
	Capabilities []string `hcl:"capabilities,optional"`
}

// LevelRule is a rule with only a policy level (node, agent, operator...).
type LevelRule struct {
	Policy string `hcl:"policy"`
}

// ServiceRule grants a level on a catalog service (service) or on every
// service whose name starts with Name (service_prefix).
type ServiceRule struct {
	Name   string `hcl:"name,label"`
	Policy string `hcl:"policy"`
}

// Parse parses and validates rules in HCL or JSON. Errors wrap
// ErrInvalidPolicy and name the place (line:column) or the rule.
func Parse(rules string) (*Policy, error) {
	if len(rules) > MaxRulesBytes {
		return nil, fmt.Errorf("%w: rules are %d bytes, more than the %d allowed", ErrInvalidPolicy, len(rules), MaxRulesBytes)
	}
	p := hclparse.NewParser()
	var f *hcl.File
	var diags hcl.Diagnostics
	if strings.HasPrefix(strings.TrimSpace(rules), "{") {
		f, diags = p.ParseJSON([]byte(rules), "policy.json")
	} else {
		f, diags = p.ParseHCL([]byte(rules), "policy.hcl")
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("%w: %s", ErrInvalidPolicy, diags.Error())
	}
	pol := &Policy{}
	if diags := gohcl.DecodeBody(f.Body, nil, pol); diags.HasErrors() {
		return nil, fmt.Errorf("%w: %s", ErrInvalidPolicy, diags.Error())
	}
	if err := pol.validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidPolicy, err)
	}
	return pol, nil
}

func (p *Policy) validate() error {
	for _, ns := range p.Namespaces {
		if err := ns.validate(); err != nil {
			return err
		}
	}
	levels := []struct {
		name string
		rule *LevelRule
		ok   []string
	}{
		{"node", p.Node, []string{PolicyDeny, PolicyRead, PolicyWrite}},
		{"agent", p.Agent, []string{PolicyDeny, PolicyRead, PolicyWrite}},
		{"operator", p.Operator, []string{PolicyDeny, PolicyRead, PolicyWrite}},
		{"plugin", p.Plugin, []string{PolicyDeny, PolicyList, PolicyRead}},
		{"quota", p.Quota, []string{PolicyDeny, PolicyRead, PolicyWrite}},
		{"registry", p.Registry, []string{PolicyDeny, PolicyRead, PolicyWrite}},
	}
	for _, l := range levels {
		if l.rule != nil && !slices.Contains(l.ok, l.rule.Policy) {
			return fmt.Errorf("%s: policy %q is not one of %s", l.name, l.rule.Policy, strings.Join(l.ok, ", "))
		}
	}
	for kind, rules := range map[string][]*ServiceRule{"service": p.Services, "service_prefix": p.ServicePrefixes} {
		for _, r := range rules {
			if !slices.Contains([]string{PolicyDeny, PolicyRead, PolicyWrite}, r.Policy) {
				return fmt.Errorf("%s %q: policy %q is not one of deny, read, write", kind, r.Name, r.Policy)
			}
		}
	}
	return nil
}

func (r *NamespaceRule) validate() error {
	switch r.Policy {
	case "", PolicyDeny, PolicyRead, PolicyWrite, PolicyScale:
	default:
		return fmt.Errorf("namespace %q: policy %q is not one of deny, read, write, scale", r.Name, r.Policy)
	}
	for _, c := range r.Capabilities {
		if !slices.Contains(validCaps, c) {
			return fmt.Errorf("namespace %q: unknown capability %q", r.Name, c)
		}
	}
	return nil
}

// expand returns every capability the rule grants: its policy's expanded
// capabilities plus the listed ones.
func (r *NamespaceRule) expand() []string {
	var caps []string
	switch r.Policy {
	case PolicyDeny:
		caps = []string{CapDeny}
	case PolicyRead:
		caps = slices.Clone(readCaps)
	case PolicyWrite:
		caps = append(slices.Clone(readCaps), writeCaps...)
	case PolicyScale:
		caps = slices.Clone(scaleCaps)
	}
	return append(caps, r.Capabilities...)
}
