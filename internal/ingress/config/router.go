package config

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"text/template"

	"github.com/wharf-project/wharf/internal/ingress/rule"
)

// router builds router rn of catalog service name from its tags; it
// checks what it can alone (rule, service choice), and resolve checks the
// references later.
func (b *builder) router(name, rn string, rt *routerTags, ts *tagSet) *Router {
	r := &Router{Name: rn, Rule: rt.rule, Priority: rt.priority, EntryPoints: rt.entryPoints,
		Middlewares: rt.middlewares, Service: rt.service, TLS: rt.tls, Provider: providerName}
	r.Status, r.Err = status(rt.errs, rt.warns)
	if r.EntryPoints == nil {
		r.EntryPoints = slices.Clone(b.opts.EntryPoints)
	}
	if r.Service == "" {
		if len(ts.services) == 1 {
			r.Service = sortedKeys(ts.services)[0]
		} else {
			r.disable("service %s defines several services (%s): set traefik.http.routers.%s.service",
				name, strings.Join(sortedKeys(ts.services), ", "), rn)
		}
	}
	if r.Rule == "" && b.opts.PathRouting {
		r.Middlewares = append([]string{b.pathStrip(name)}, r.Middlewares...)
	}
	if r.Rule == "" {
		rule, err := b.defaultRuleFor(name, ts)
		if err != nil {
			r.disable("default rule: %v", err)
		}
		r.Rule = rule
	}
	if r.Rule != "" {
		if _, err := rule.Parse(r.Rule); err != nil {
			r.disable("%v", err)
		}
	}
	if len(ts.errs) > 0 {
		r.Status = StatusDisabled
	} else if len(ts.warns) > 0 && r.Status == StatusEnabled {
		r.Status = StatusWarning
	}
	return r
}

// defaultRuleTemplate is Options.DefaultRule parsed once per Build.
type defaultRuleTemplate struct {
	t   *template.Template
	err error
}

// defaultRuleData is what a DefaultRule template sees: .Name (the
// catalog service), .Domain (Options.Domain) and .Labels (its traefik
// tags, key to value).
type defaultRuleData struct {
	Name   string
	Domain string
	Labels map[string]string
}

// nonAlnum matches what normalize replaces.
var nonAlnum = regexp.MustCompile(`[^a-zA-Z0-9]+`)

// parseDefaultRule parses Options.DefaultRule, if set. The template has
// the function normalize, as Traefik's (non-alphanumerics become "-").
func (b *builder) parseDefaultRule() {
	if b.opts.DefaultRule == "" || b.opts.PathRouting {
		return
	}
	funcs := template.FuncMap{"normalize": func(s string) string { return nonAlnum.ReplaceAllString(s, "-") }}
	t, err := template.New("defaultRule").Funcs(funcs).Option("missingkey=zero").Parse(b.opts.DefaultRule)
	b.defaultRule = &defaultRuleTemplate{t: t, err: err}
}

// defaultRuleFor is the rule of a router without a rule tag.
func (b *builder) defaultRuleFor(name string, ts *tagSet) (string, error) {
	switch {
	case b.opts.PathRouting:
		return pathRoutingRule(name), nil
	case b.defaultRule == nil && b.opts.Domain == "":
		return "Host(`" + name + "`)", nil
	case b.defaultRule == nil:
		return "Host(`" + name + "." + b.opts.Domain + "`)", nil
	case b.defaultRule.err != nil:
		return "", b.defaultRule.err
	}
	var buf bytes.Buffer
	data := defaultRuleData{Name: name, Domain: b.opts.Domain, Labels: ts.labels}
	if err := b.defaultRule.t.Execute(&buf, data); err != nil {
		return "", fmt.Errorf("template: %w", err)
	}
	return buf.String(), nil
}
