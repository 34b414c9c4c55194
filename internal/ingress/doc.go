// Package ingress is the ingress role: it gives services a fixed entry
// point although their instances move. The subpackages each hold one idea:
//
//   - config: the dynamic configuration (routers, services, middlewares),
//     built from catalog instances and their Traefik-style tags
//   - rule: Traefik's rule language (Host, PathPrefix, &&, ||, !...)
//   - proxy: the compiled route table, weighted round robin with passive
//     health, and the reverse proxy on the entry points
//   - watch: follows the catalog with blocking queries and swaps tables
//   - dashboard: the :9200 dashboard and its Traefik-shaped JSON API
//
// ingress must never import server, scheduler, client or state: it is a
// client of the API like the CLI.
package ingress
