// Package ingress is the ingress role: it gives services a fixed entry
// point although their instances move. Role assembles it (the proxy on
// the entry points, the catalog watch that feeds it, the dashboard)
// behind Start and Stop; the agent creates it with New, handing over
// what is the agent's own (catalog clients, connection bounds, the
// dashboard's guards) as Options. The subpackages each hold one idea:
//
//   - config: the dynamic configuration (routers, services, middlewares),
//     built from catalog instances and their Traefik-style tags
//   - rule: Traefik's rule language (Host, PathPrefix, &&, ||, !...)
//   - proxy: the compiled route table, weighted round robin with passive
//     health, and the reverse proxy on the entry points
//   - watch: follows the catalog with blocking queries and swaps tables
//   - dashboard: the :9200 dashboard and its Traefik-shaped JSON API
//
// ingress must never import internal/server, internal/scheduler,
// internal/client, internal/state or internal/agent: it is a client of the
// API like the CLI.
package ingress
