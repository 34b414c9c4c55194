// Package dashboard serves the ingress dashboard (:9200): an HTML page
// with entry points, routers, services with their servers, health and
// request rates, and a JSON API shaped like Traefik's (/api/overview,
// /api/http/routers, /api/http/services, /api/http/middlewares,
// /api/entrypoints), plus the proxy's Prometheus metrics at /metrics.
//
// It reads the configuration as the proxy compiled it through the small
// Source interface and request figures through Options.Stats, so it
// tests without a proxy.
//
// dashboard must never import internal/server, internal/scheduler,
// internal/client, internal/state or internal/ingress/proxy.
package dashboard
