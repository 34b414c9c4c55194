// allocs.js: the allocations table shared by the job and node pages.

import { h, badge, table, link, shortId, ago } from './dom.js';

/** taskStates summarizes an allocation's task states as badges. */
export function taskStates(a) {
  const entries = Object.entries(a.TaskStates || {}).sort(([x], [y]) => x.localeCompare(y));
  if (!entries.length) return h('span', { class: 'muted' }, '—');
  return h('span', { class: 'tasks' }, entries.map(([name, s]) =>
    h('span', { class: 'task-state' }, name, ' ', badge(s.Failed ? 'failed' : s.State))));
}

/** allocStatus is the client status, with "stopping" when the server wants it stopped. */
export function allocStatus(a) {
  if (a.DesiredStatus !== 'run' && (a.ClientStatus === 'running' || a.ClientStatus === 'pending')) {
    return h('span', {}, badge(a.ClientStatus), ' ', h('span', { class: 'muted' }, `→ ${a.DesiredStatus}`));
  }
  return badge(a.ClientStatus, a.ClientDescription);
}

/** allocTable renders allocations newest first; show hides columns: {job, node}. */
export function allocTable(allocs, { job = false, node = true } = {}) {
  const rows = [...allocs].sort((a, b) => (b.CreateIndex || 0) - (a.CreateIndex || 0));
  return table([
    { title: 'ID', cell: (a) => link(`/ui/allocations/${a.ID}`, shortId(a.ID), { class: 'mono', title: a.ID }) },
    { title: 'Name', cell: (a) => a.Name },
    job && { title: 'Job', cell: (a) => link(`/ui/jobs/${encodeURIComponent(a.JobID)}${a.Namespace && a.Namespace !== 'default' ? `?namespace=${encodeURIComponent(a.Namespace)}` : ''}`, a.JobID) },
    { title: 'Status', cell: allocStatus },
    node && { title: 'Node', cell: (a) => a.NodeID ? link(`/ui/nodes/${a.NodeID}`, a.NodeName || shortId(a.NodeID)) : '—' },
    { title: 'Version', cell: (a) => `v${a.JobVersion}`, class: 'num' },
    { title: 'Tasks', cell: taskStates },
    { title: 'Created', cell: (a) => ago(a.CreateTime) },
  ].filter(Boolean), rows, { empty: 'No allocations.', rowAttrs: (a) => ({ 'data-alloc': a.ID, 'data-status': a.ClientStatus }) });
}
