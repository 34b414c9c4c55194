// alloc.js: one allocation: status, node, ports and addresses, tasks
// with events and Exec, resource use every 2 s, live logs.

import { watch, poll, get, enc } from './api.js';
import { h, fill, badge, table, section, link, pageHead, kv, ago, clock, bytes, meter, shortId } from './dom.js';
import { allocStatus } from './allocs.js';
import { jobHref } from './jobs.js';
import { logViewer } from './logs.js';

export async function render({ root, params, signal }) {
  const id = params.id;
  const head = h('div');
  const info = section('Details', { id: 'details' });
  const tasks = section('Tasks', { id: 'tasks' });
  const ports = section('Ports and addresses', { id: 'ports' });
  const usage = section('Resource use', { id: 'usage' });
  const events = section('Task events', { id: 'events' });
  const term = h('div', { id: 'terminal', class: 'terminal-host', 'data-terminal': true });
  const logs = logViewer(id, signal);
  root.append(head, info.el, tasks.el, term, usage.el, logs.el, ports.el, events.el);
  let alloc = null;
  let statsStarted = false;

  const draw = (a) => {
    alloc = a;
    const names = taskNames(a);
    fill(head, h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, link('/ui/jobs', 'Jobs'), ' / ',
      link(jobHref(a.JobID, a.Namespace), a.JobID), ' / ', shortId(a.ID)),
    pageHead(h('span', {}, a.Name, ' ', allocStatus(a))));
    info.show(kv([
      ['ID', h('code', {}, a.ID)], ['Job', link(jobHref(a.JobID, a.Namespace), `${a.JobID} (v${a.JobVersion})`)],
      ['Group', a.TaskGroup], ['Node', a.NodeID ? link(`/ui/nodes/${a.NodeID}`, a.NodeName || shortId(a.NodeID)) : '—'],
      ['Client status', badge(a.ClientStatus)], ['Desired', `${a.DesiredStatus}${a.DesiredDescription ? ` — ${a.DesiredDescription}` : ''}`],
      a.ClientDescription && ['Description', a.ClientDescription], ['Created', ago(a.CreateTime)], ['Modified', ago(a.ModifyTime)],
      a.PreviousAllocation && ['Replaces', link(`/ui/allocations/${a.PreviousAllocation}`, shortId(a.PreviousAllocation))],
      a.NextAllocation && ['Replaced by', link(`/ui/allocations/${a.NextAllocation}`, shortId(a.NextAllocation))],
    ]));
    tasks.show(taskTable(a, names, logs, term));
    ports.show(portList(a));
    events.show(eventTables(a, names));
    logs.setTasks(names);
    if (!statsStarted && a.ClientStatus === 'running') {
      statsStarted = true;
      poll(async () => drawUsage(usage, alloc, await get(`/v1/client/allocation/${enc(id)}/stats`, { signal })), 2000, {
        signal, onError: (e, ms) => usage.error(e, ms), onOk: () => usage.ok(),
      });
    } else if (!statsStarted) {
      usage.show(h('p', { class: 'muted' }, 'Resource use is measured while the allocation runs.'));
    }
  };
  const all = [info, tasks, ports, events];
  window.addEventListener('wharfterminal:ready', () => alloc && draw(alloc), { signal });
  await watch(`/v1/allocation/${enc(id)}`, draw, {
    signal, onError: (e, ms) => all.forEach((s) => s.error(e, ms)), onOk: () => all.forEach((s) => s.ok()),
  });
}

function taskNames(a) {
  const group = (a.Job?.TaskGroups || []).find((g) => g.Name === a.TaskGroup);
  const names = (group?.Tasks || []).map((t) => t.Name);
  for (const n of Object.keys(a.TaskStates || {})) if (!names.includes(n)) names.push(n);
  return names;
}

function execButton(a, task, state, host) {
  const term = window.wharfTerminal;
  const running = state?.State === 'running';
  const b = h('button', { type: 'button', class: 'exec', disabled: !term || !running,
    title: !term ? 'The terminal did not load' : running ? `Open a shell in ${task}` : 'The task is not running' }, 'Exec');
  b.addEventListener('click', () => {
    const fail = (e) => fill(host, h('div', { class: 'banner', role: 'alert' }, h('strong', {}, 'Exec failed'), `: ${e.message || e}`));
    fill(host);
    try {
      Promise.resolve(window.wharfTerminal.open({ allocID: a.ID, task, container: host })).catch(fail);
    } catch (e) {
      fail(e);
    }
  });
  return b;
}

function taskTable(a, names, logs, host) {
  return table([
    { title: 'Task', cell: (n) => h('strong', {}, n) },
    { title: 'State', cell: (n) => { const s = a.TaskStates?.[n]; return s ? badge(s.Failed ? 'failed' : s.State) : badge('pending'); } },
    { title: 'Restarts', cell: (n) => a.TaskStates?.[n]?.Restarts || 0, class: 'num' },
    { title: 'Started', cell: (n) => ago(a.TaskStates?.[n]?.StartedAt) },
    { title: 'Finished', cell: (n) => ago(a.TaskStates?.[n]?.FinishedAt) },
    { title: 'Last event', cell: (n) => { const ev = (a.TaskStates?.[n]?.Events || []).at(-1); return ev ? eventText(ev) : '—'; } },
    { title: '', cell: (n) => h('span', { class: 'row' }, execButton(a, n, a.TaskStates?.[n], host),
      h('button', { type: 'button', onclick: () => logs.show(n) }, 'Logs')) },
  ], names, { empty: 'No tasks.', rowAttrs: (n) => ({ 'data-task': n }) });
}

function portList(a) {
  const rows = [];
  const res = a.AllocatedResources || {};
  for (const p of res.Shared?.Ports || []) rows.push({ label: p.Label, host: p.HostIP, value: p.Value, to: p.To });
  const nets = [...(res.Shared?.Networks || []), ...Object.values(res.Tasks || {}).flatMap((t) => t.Networks || [])];
  for (const n of nets) {
    for (const p of [...(n.ReservedPorts || []), ...(n.DynamicPorts || [])]) {
      if (!rows.some((r) => r.label === p.Label && r.value === p.Value)) rows.push({ label: p.Label, host: n.IP, value: p.Value, to: p.To });
    }
  }
  const addrs = nets.map((n) => n.IP).filter(Boolean);
  return [
    addrs.length ? kv([['Addresses', [...new Set(addrs)].join(', ')]]) : null,
    table([
      { title: 'Label', cell: (r) => r.label },
      { title: 'Address', cell: (r) => r.host ? h('a', { href: `http://${r.host}:${r.value}/`, target: '_blank', rel: 'noopener' }, `${r.host}:${r.value}`) : r.value },
      { title: 'To (in task)', cell: (r) => r.to || r.value, class: 'num' },
    ], rows, { empty: 'No ports.' }),
  ];
}

/** eventText is what a task event says, most specific first. */
function eventText(ev) {
  return ev.DisplayMessage || ev.DriverError || ev.SetupError || ev.KillError || ev.Message || ev.DriverMessage ||
    (ev.Type === 'Terminated' ? `Exit code ${ev.ExitCode}${ev.Signal ? `, signal ${ev.Signal}` : ''}` : '') || ev.RestartReason || '';
}

function eventTables(a, names) {
  return names.map((n) => {
    const evs = [...(a.TaskStates?.[n]?.Events || [])].reverse();
    return h('div', {}, h('h3', {}, n), table([
      { title: 'Time', cell: (e) => clock(e.Time) },
      { title: 'Type', cell: (e) => h('span', { class: e.FailsTask || e.DriverError || e.SetupError ? 'bad-text' : '' }, e.Type) },
      { title: 'Description', cell: (e) => h('span', { class: 'wrap' }, eventText(e)) },
    ], evs, { empty: 'No events yet.' }));
  });
}

function drawUsage(sec, a, stats) {
  const tasks = stats?.Tasks || {};
  const alloc = a?.AllocatedResources?.Tasks || {};
  const names = Object.keys(tasks).sort();
  if (!names.length) { sec.show(h('p', { class: 'muted' }, 'No task is running.')); return; }
  sec.show(h('div', { class: 'grid' }, names.map((n) => {
    const u = tasks[n].ResourceUsage || {};
    const mem = u.MemoryStats || {};
    const cpu = u.CpuStats || {};
    const memMB = alloc[n]?.Memory?.MemoryMB || 0;
    const cpuMHz = alloc[n]?.Cpu?.CpuShares || 0;
    return h('div', { class: 'usage', 'data-task': n }, h('h3', {}, n),
      meter('Memory', mem.RSS || mem.Usage || 0, memMB * 1024 * 1024, bytes),
      meter('CPU', cpu.TotalTicks || 0, cpuMHz, (x) => `${Math.round(x)} MHz`),
      h('p', { class: 'muted small' }, `CPU ${(cpu.Percent || 0).toFixed(1)}% of a core · max memory ${bytes(mem.MaxUsage || 0)}`));
  })));
}
