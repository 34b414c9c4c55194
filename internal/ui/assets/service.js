// service.js: one service's instances with address:port, tags and every
// check's status and output, live.

import { watch, withQuery, enc } from './api.js';
import { h, badge, table, section, link, pageHead, shortId } from './dom.js';
import { health } from './services.js';
import { jobHref } from './jobs.js';

export async function render({ root, params, query, signal }) {
  const ns = query.get('namespace') || 'default';
  const name = params.name;
  const list = section('Instances', { id: 'instances' });
  root.append(h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, link('/ui/services', 'Services'), ' / ', name),
    pageHead(name), list.el);
  await watch(withQuery(`/v1/service/${enc(name)}`, { namespace: ns }), (data) => {
    const inst = data || [];
    list.show(inst.length ? inst.map(instanceCard) : h('p', { class: 'muted' }, 'No instances are registered right now.'));
  }, { signal, onError: (e, ms) => list.error(e, ms), onOk: () => list.ok() });
}

function instanceCard(i) {
  const addr = i.Address ? `${i.Address.includes(':') ? `[${i.Address}]` : i.Address}:${i.Port}` : String(i.Port);
  return h('article', { class: 'instance', 'data-instance': i.ID },
    h('h3', {}, h('span', { class: 'mono' }, addr), ' ', badge(health(i))),
    h('dl', { class: 'kv' },
      h('dt', {}, 'ID'), h('dd', {}, h('code', {}, i.ID)),
      h('dt', {}, 'Job'), h('dd', {}, i.JobID ? link(jobHref(i.JobID, i.Namespace), i.JobID) : '—', i.Task ? ` · task ${i.Task}` : ''),
      h('dt', {}, 'Allocation'), h('dd', {}, i.AllocID ? link(`/ui/allocations/${i.AllocID}`, shortId(i.AllocID)) : '—'),
      h('dt', {}, 'Node'), h('dd', {}, i.NodeID ? link(`/ui/nodes/${i.NodeID}`, shortId(i.NodeID)) : '—', ` · ${i.Datacenter || ''}`),
      h('dt', {}, 'Tags'), h('dd', {}, (i.Tags || []).length ? h('span', { class: 'tags' }, i.Tags.map((t) => h('code', { class: 'tag' }, t))) : '—')),
    table([
      { title: 'Check', cell: (c) => c.Name || c.ID },
      { title: 'Type', cell: (c) => c.Type },
      { title: 'Status', cell: (c) => badge(c.Status) },
      { title: 'Output', cell: (c) => h('pre', { class: 'output' }, c.Output || '') },
      { title: 'Every', cell: (c) => c.Interval || '—' },
    ], i.Checks || [], { empty: 'No checks: the instance counts as passing.' }));
}
