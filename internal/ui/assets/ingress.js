// ingress.js: the local ingress's routers (rule, service, status) and
// services (servers and their health), through the same-origin proxy
// to its dashboard API, refreshed every 3 s.

import { get, poll } from './api.js';
import { h, badge, table, section, pageHead } from './dom.js';

export async function render({ root, signal }) {
  const routers = section('Routers', { id: 'routers' });
  const services = section('Services', { id: 'backends' });
  const head = h('div');
  root.append(head, routers.el, services.el);
  let cfg;
  try {
    cfg = await get('/ui/api/config', { signal });
  } catch (e) {
    if (e.name === 'AbortError') return;
    cfg = {};
  }
  const dash = cfg.IngressDashboardPort ? `${location.protocol}//${location.hostname}:${cfg.IngressDashboardPort}/` : null;
  head.append(pageHead('Ingress', dash ? h('a', { href: dash, class: 'button', target: '_blank', rel: 'noopener' }, `Dashboard :${cfg.IngressDashboardPort}`) : null));
  if (!cfg.Ingress) {
    routers.show(h('p', { class: 'muted' }, 'This agent runs no ingress (enable it with an ingress block, or use "wharf agent -dev").'));
    services.show('');
    return;
  }
  await poll(async () => {
    const [rs, ss] = await Promise.all([get('/ui/api/ingress/http/routers', { signal }), get('/ui/api/ingress/http/services', { signal })]);
    routers.show(table([
      { title: 'Router', cell: (r) => h('strong', {}, r.name) },
      { title: 'Rule', cell: (r) => h('code', { class: 'wrap' }, r.rule) },
      { title: 'Service', cell: (r) => r.service },
      { title: 'Entry points', cell: (r) => (r.entryPoints || []).join(', ') },
      { title: 'Status', cell: (r) => badge(r.status) },
      { title: 'Requests', cell: (r) => `${r.requests || 0} (${(r.requestRate || 0).toFixed(1)}/s)`, class: 'num' },
      { title: 'Error', cell: (r) => (r.error || []).join('; ') },
    ], rs || [], { empty: 'No routers: no passing service is exposed.' }));
    services.show(table([
      { title: 'Service', cell: (s) => h('strong', {}, s.name) },
      { title: 'Status', cell: (s) => badge(s.status) },
      { title: 'Servers', cell: (s) => h('ul', { class: 'plain' }, (s.loadBalancer?.servers || []).map((sv) =>
        h('li', {}, h('code', {}, sv.url), ' ', badge(sv.status || sv.health), sv.health && sv.status !== sv.health ? [' check ', badge(sv.health)] : null))) },
      { title: 'Used by', cell: (s) => (s.usedBy || []).join(', ') },
      { title: 'Error', cell: (s) => (s.error || []).join('; ') },
    ], ss || [], { empty: 'No services.' }));
  }, 3000, { signal, onError: (e, ms) => { routers.error(e, ms); services.error(e, ms); }, onOk: () => { routers.ok(); services.ok(); } });
}
