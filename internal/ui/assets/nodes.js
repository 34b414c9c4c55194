// nodes.js: the client nodes with status, eligibility, drivers and
// capacity, live.

import { watch } from './api.js';
import { h, fill, badge, table, section, link, searchBox, pageHead, shortId, bytes } from './dom.js';

/** driverBadges shows each detected driver with its health as text. */
export function driverBadges(drivers) {
  const names = Object.keys(drivers || {}).sort();
  if (!names.length) return h('span', { class: 'muted' }, 'none');
  return h('span', { class: 'tasks' }, names.map((d) => {
    const i = drivers[d];
    const st = !i.Detected ? 'undetected' : i.Healthy ? 'healthy' : 'unhealthy';
    return h('span', { class: 'task-state', title: i.HealthDescription || st }, d, ' ', badge(st));
  }));
}

/** nodeStatus is the node's status with drain and eligibility. */
export function nodeStatus(n) {
  return h('span', {}, badge(n.Status), n.Drain ? [' ', badge('draining')] : null,
    n.SchedulingEligibility === 'ineligible' && !n.Drain ? [' ', badge('ineligible')] : null);
}

export async function render({ root, signal }) {
  let nodes = [];
  let filter = '';
  const summary = h('div', { class: 'summary', 'aria-live': 'polite' });
  const list = section('Client nodes', { id: 'nodes' });
  const draw = () => {
    const shown = nodes.filter((n) => !filter || `${n.Name} ${n.ID} ${n.Datacenter} ${n.Status} ${n.Address}`.toLowerCase().includes(filter));
    const by = {};
    for (const n of nodes) by[n.Status] = (by[n.Status] || 0) + 1;
    fill(summary, h('div', { class: 'stat' }, h('span', { class: 'n' }, nodes.length), ' nodes',
      Object.entries(by).map(([s, c]) => [' · ', c, ' ', s]), ` · ${nodes.filter((n) => n.Drain).length} draining`));
    list.show(table([
      { title: 'Name', cell: (n) => link(`/ui/nodes/${n.ID}`, n.Name || shortId(n.ID), { class: 'strong' }) },
      { title: 'ID', cell: (n) => h('span', { class: 'mono', title: n.ID }, shortId(n.ID)) },
      { title: 'Datacenter', cell: (n) => n.Datacenter },
      { title: 'Address', cell: (n) => n.Address || '—' },
      { title: 'Status', cell: nodeStatus },
      { title: 'Drivers', cell: (n) => driverBadges(n.Drivers) },
      { title: 'CPU', cell: (n) => `${n.NodeResources?.Cpu?.CpuShares || 0} MHz`, class: 'num' },
      { title: 'Memory', cell: (n) => bytes((n.NodeResources?.Memory?.MemoryMB || 0) * 1048576), class: 'num' },
    ], shown, { empty: nodes.length ? 'No node matches the filter.' : 'No client nodes have registered.' }));
  };
  root.append(pageHead('Nodes', searchBox('Filter nodes', (v) => { filter = v; draw(); })), summary, list.el);
  await watch('/v1/nodes', (data) => { nodes = data || []; draw(); }, {
    signal, onError: (e, ms) => list.error(e, ms), onOk: () => list.ok(),
  });
}
