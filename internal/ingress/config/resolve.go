package config

import (
	"fmt"
	"reflect"
	"strings"
)

// addRouter adds a router defined by catalog service owner. A name that
// another catalog service defined differently stays, disabled, with the
// first definition.
func (b *builder) addRouter(owner string, r *Router) {
	if prev, ok := b.claim("router/"+r.Name, owner, b.c.Routers[r.Name], r); !ok {
		prev.disable("router %s is defined differently by catalog services %s and %s", r.Name, prev.owner, owner)
		return
	}
	b.c.Routers[r.Name] = r
}

// addService adds a service defined by catalog service owner; a name
// another catalog service also defines disables it (their servers differ).
func (b *builder) addService(owner string, s *Service) {
	if first, ok := b.owner["service/"+s.Name]; ok && first != owner {
		prev := b.c.Services[s.Name]
		prev.Status = StatusDisabled
		prev.Err = append(prev.Err, fmt.Sprintf("service %s is defined by catalog services %s and %s", s.Name, first, owner))
		return
	}
	b.owner["service/"+s.Name] = owner
	b.c.Services[s.Name] = s
}

// addMiddleware adds a middleware defined by catalog service owner. A name
// another catalog service defined differently stays, disabled, with the
// first definition.
func (b *builder) addMiddleware(owner string, m *Middleware) {
	if prev, ok := b.claim("middleware/"+m.Name, owner, b.c.Middlewares[m.Name], m); !ok {
		prev.disable("middleware %s is defined differently by catalog services %s and %s", m.Name, prev.owner, owner)
		return
	}
	b.c.Middlewares[m.Name] = m
}

// claim records owner as the definer of key. It returns ok when key is
// new, or when the earlier definition equals v; otherwise the earlier one.
func (b *builder) claim(key, owner string, prev, v any) (clash, bool) {
	first, seen := b.owner[key]
	if !seen || first == owner {
		b.owner[key] = owner
		return clash{}, true
	}
	if reflect.DeepEqual(prev, v) {
		return clash{}, true
	}
	return clash{owner: first, item: prev}, false
}

// clash is an earlier definition that a later one contradicts.
type clash struct {
	owner string
	item  any
}

// disable marks the earlier definition disabled with a reason.
func (c clash) disable(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	switch v := c.item.(type) {
	case *Router:
		v.Status = StatusDisabled
		v.Err = append(v.Err, msg)
	case *Middleware:
		v.Status = StatusDisabled
		v.Err = append(v.Err, msg)
	}
}

// resolve checks each router's references: its service and middlewares
// must be defined (by any catalog service; "name@catalog" is accepted,
// other providers are not) and not disabled.
func (b *builder) resolve() {
	for _, name := range sortedKeys(b.c.Routers) {
		r := b.c.Routers[name]
		if r.Service != "" {
			r.Service = b.checkService(r, r.Service)
		}
		for i, m := range r.Middlewares {
			r.Middlewares[i] = b.checkMiddleware(r, m)
		}
	}
}

// checkService checks a router's service reference and returns its name
// without "@catalog".
func (b *builder) checkService(r *Router, ref string) string {
	name := strings.TrimSuffix(ref, "@"+providerName)
	s := b.c.Services[name]
	switch {
	case s == nil:
		r.disable("service %s is not defined", ref)
	case s.Status == StatusDisabled:
		r.disable("service %s is disabled", name)
	}
	return name
}

// checkMiddleware checks a router's middleware reference and returns its
// name without "@catalog".
func (b *builder) checkMiddleware(r *Router, ref string) string {
	name := strings.TrimSuffix(ref, "@"+providerName)
	m := b.c.Middlewares[name]
	switch {
	case m == nil:
		r.disable("middleware %s is not defined", ref)
	case m.Status == StatusDisabled:
		r.disable("middleware %s is disabled", name)
	}
	return name
}
