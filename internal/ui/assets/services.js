// services.js: catalog services with instance counts and health, live.

import { watch, withQuery } from './api.js';
import { h, fill, badge, table, section, link, searchBox, pageHead } from './dom.js';

/** health is an instance's worst check status, passing when it has none. */
export function health(inst) {
  let worst = 'passing';
  for (const c of inst.Checks || []) {
    if (c.Status === 'critical' || !['passing', 'warning'].includes(c.Status)) return 'critical';
    if (c.Status === 'warning') worst = 'warning';
  }
  return worst;
}

/** serviceHref is a service's page. */
export const serviceHref = (name, ns) => withQuery(`/ui/services/${encodeURIComponent(name)}`, ns && ns !== 'default' ? { namespace: ns } : {});

export async function render({ root, signal }) {
  let groups = [];
  let filter = '';
  const summary = h('div', { class: 'summary', 'aria-live': 'polite' });
  const list = section('Services', { id: 'services' });
  const draw = () => {
    const shown = groups.filter((g) => !filter || `${g.name} ${g.ns} ${[...g.tags].join(' ')}`.toLowerCase().includes(filter));
    const inst = groups.reduce((n, g) => n + g.instances.length, 0);
    fill(summary, h('div', { class: 'stat' }, h('span', { class: 'n' }, groups.length), ' services · ', inst, ' instances'));
    list.show(table([
      { title: 'Service', cell: (g) => link(serviceHref(g.name, g.ns), g.name, { class: 'strong' }) },
      { title: 'Namespace', cell: (g) => g.ns },
      { title: 'Instances', cell: (g) => g.instances.length, class: 'num' },
      { title: 'Health', cell: (g) => h('span', { class: 'tasks' }, ['passing', 'warning', 'critical'].map((s) => {
        const n = g.instances.filter((i) => health(i) === s).length;
        return n ? h('span', { class: 'task-state' }, n, ' ', badge(s)) : null;
      })) },
      { title: 'Tags', cell: (g) => h('span', { class: 'tags' }, [...g.tags].sort().map((t) => h('code', { class: 'tag' }, t))) },
    ], shown, { empty: groups.length ? 'No service matches the filter.' : 'No services are registered. Tasks register them with a service block.' }));
  };
  root.append(pageHead('Services', searchBox('Filter services', (v) => { filter = v; draw(); })), summary, list.el);
  await watch('/v1/services/instances?namespace=*', (data) => { groups = group(data || []); draw(); }, {
    signal, onError: (e, ms) => list.error(e, ms), onOk: () => list.ok(),
  });
}

function group(instances) {
  const m = new Map();
  for (const i of instances) {
    const key = `${i.Namespace}/${i.ServiceName}`;
    if (!m.has(key)) m.set(key, { name: i.ServiceName, ns: i.Namespace, instances: [], tags: new Set() });
    const g = m.get(key);
    g.instances.push(i);
    for (const t of i.Tags || []) g.tags.add(t);
  }
  return [...m.values()].sort((a, b) => a.name.localeCompare(b.name) || a.ns.localeCompare(b.ns));
}
