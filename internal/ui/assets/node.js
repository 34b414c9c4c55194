// node.js: one client node: status, drivers with health, resources
// used/total, allocations, events; drain on and off.

import { watch, put, enc } from './api.js';
import { h, fill, badge, table, section, link, pageHead, kv, ago, bytes, meter, confirmButton } from './dom.js';
import { allocTable } from './allocs.js';
import { nodeStatus } from './nodes.js';

export async function render({ root, params, signal }) {
  const id = params.id;
  const head = h('div');
  const info = section('Details', { id: 'details' });
  const res = section('Resources', { id: 'resources' });
  const drivers = section('Drivers', { id: 'drivers' });
  const allocs = section('Allocations', { id: 'allocations' });
  const events = section('Events', { id: 'events' });
  const attrs = section('Attributes', { id: 'attributes', live: false });
  root.append(head, info.el, res.el, drivers.el, allocs.el, events.el, attrs.el);
  let node = null;
  let allocList = [];

  const drawNode = (n) => {
    node = n;
    const drain = n.Drain
      ? confirmButton('Stop draining', `Stop draining ${n.Name} and make it eligible again?`,
        () => put(`/v1/node/${enc(id)}/drain`, { DrainSpec: null, MarkEligible: true }))
      : confirmButton('Drain', `Drain ${n.Name}? Its allocations move to other nodes.`,
        () => put(`/v1/node/${enc(id)}/drain`, { DrainSpec: { Deadline: 3600e9, IgnoreSystemJobs: false } }), { danger: true });
    fill(head, h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, link('/ui/nodes', 'Nodes'), ' / ', n.Name),
      pageHead(h('span', {}, n.Name, ' ', nodeStatus(n)), drain));
    info.show(kv([
      ['ID', h('code', {}, n.ID)], ['Datacenter', n.Datacenter], ['Node pool', n.NodePool], ['Class', n.NodeClass || '—'],
      ['Address', n.HTTPAddr], ['Eligibility', badge(n.SchedulingEligibility)], ['Drain', n.Drain ? 'yes' : 'no'],
      n.StatusDescription && ['Status', n.StatusDescription], ['Status updated', ago((n.StatusUpdatedAt || 0) * 1000)],
      ['OS', `${n.Attributes?.['kernel.name'] || '?'} ${n.Attributes?.['os.version'] || n.Attributes?.['kernel.version'] || ''}`],
    ]));
    drivers.show(table([
      { title: 'Driver', cell: ([d]) => h('strong', {}, d) },
      { title: 'Detected', cell: ([, i]) => (i.Detected ? 'yes' : 'no') },
      { title: 'Health', cell: ([, i]) => badge(!i.Detected ? 'undetected' : i.Healthy ? 'healthy' : 'unhealthy') },
      { title: 'Description', cell: ([, i]) => h('span', { class: 'wrap' }, i.HealthDescription || '') },
      { title: 'Updated', cell: ([, i]) => ago(i.UpdateTime) },
    ], Object.entries(n.Drivers || {}).sort(), { empty: 'No drivers.' }));
    events.show(table([
      { title: 'Time', cell: (e) => ago(e.Timestamp) },
      { title: 'Subsystem', cell: (e) => e.Subsystem },
      { title: 'Message', cell: (e) => h('span', { class: 'wrap' }, e.Message) },
    ], [...(n.Events || [])].reverse(), { empty: 'No events.' }));
    attrs.show(h('details', {}, h('summary', {}, `${Object.keys(n.Attributes || {}).length} attributes`),
      kv(Object.entries(n.Attributes || {}).sort().map(([k, v]) => [k, v]))));
    drawResources(res, node, allocList);
  };
  const drawAllocs = (list) => {
    allocList = list || [];
    allocs.show(allocTable(allocList, { job: true, node: false }));
    if (node) drawResources(res, node, allocList);
  };
  const opts = (secs) => ({ signal, onError: (e, ms) => secs.forEach((s) => s.error(e, ms)), onOk: () => secs.forEach((s) => s.ok()) });
  await Promise.all([
    watch(`/v1/node/${enc(id)}`, drawNode, opts([info, drivers, events])),
    watch(`/v1/node/${enc(id)}/allocations`, drawAllocs, opts([allocs, res])),
  ]);
}

function drawResources(sec, n, allocs) {
  const r = n.NodeResources || {};
  const rv = n.ReservedResources || {};
  let cpu = 0, mem = 0, disk = 0;
  const live = allocs.filter((a) => a.DesiredStatus === 'run' && !['complete', 'failed', 'lost'].includes(a.ClientStatus));
  for (const a of live) {
    for (const t of Object.values(a.AllocatedResources?.Tasks || {})) { cpu += t.Cpu?.CpuShares || 0; mem += t.Memory?.MemoryMB || 0; }
    disk += a.AllocatedResources?.Shared?.DiskMB || 0;
  }
  const totCpu = (r.Cpu?.CpuShares || 0) - (rv.Cpu?.CpuShares || 0);
  const totMem = (r.Memory?.MemoryMB || 0) - (rv.Memory?.MemoryMB || 0);
  const totDisk = (r.Disk?.DiskMB || 0) - (rv.Disk?.DiskMB || 0);
  sec.show(h('div', { class: 'grid' },
    meter('CPU', cpu, totCpu, (x) => `${x} MHz`),
    meter('Memory', mem * 1048576, totMem * 1048576, bytes),
    meter('Disk', disk * 1048576, totDisk * 1048576, bytes)),
  h('p', { class: 'muted small' }, `${live.length} running allocation${live.length === 1 ? '' : 's'} reserve these resources; totals exclude what the node reserves for itself.`));
}
