// jobs.js: the jobs list with status badges and allocation counts, live.

import { watch, withQuery } from './api.js';
import { h, fill, badge, table, section, link, searchBox, pageHead, ago } from './dom.js';

const states = ['Queued', 'Starting', 'Running', 'Failed', 'Complete', 'Lost'];

/** jobHref is a job's page, with its namespace when not default. */
export function jobHref(id, ns) {
  return withQuery(`/ui/jobs/${encodeURIComponent(id)}`, ns && ns !== 'default' ? { namespace: ns } : {});
}

/** totals sums a job summary's group counts. */
export function totals(summary) {
  const t = Object.fromEntries(states.map((s) => [s, 0]));
  for (const g of Object.values(summary?.Summary || {})) for (const s of states) t[s] += g[s] || 0;
  return t;
}

/** counts renders allocation counts as labelled chips, zeros muted. */
export function counts(t) {
  return h('span', { class: 'counts' }, states.map((s) =>
    h('span', { class: `count c-${s.toLowerCase()}${t[s] ? '' : ' zero'}`, title: `${t[s]} ${s.toLowerCase()}` },
      h('span', { class: 'n' }, t[s]), ' ', s.toLowerCase())));
}

export async function render({ root, signal }) {
  let jobs = [];
  let filter = '';
  const summary = h('div', { class: 'summary', 'aria-live': 'polite' });
  const list = section('All jobs', { id: 'jobs' });
  const draw = () => {
    const shown = jobs.filter((j) => !filter || `${j.ID} ${j.Name} ${j.Namespace} ${j.Status} ${j.Type}`.toLowerCase().includes(filter));
    const multiNS = new Set(jobs.map((j) => j.Namespace)).size > 1;
    list.show(table([
      { title: 'Job', cell: (j) => link(jobHref(j.ID, j.Namespace), j.ID, { class: 'strong' }) },
      multiNS && { title: 'Namespace', cell: (j) => j.Namespace },
      { title: 'Type', cell: (j) => j.Type },
      { title: 'Status', cell: (j) => badge(j.Stop && j.Status !== 'dead' ? 'stopped' : j.Status, j.StatusDescription) },
      { title: 'Allocations', cell: (j) => counts(totals(j.JobSummary)) },
      { title: 'Version', cell: (j) => `v${j.Version}`, class: 'num' },
      { title: 'Submitted', cell: (j) => ago(j.SubmitTime) },
    ].filter(Boolean), shown, { empty: jobs.length ? 'No job matches the filter.' : 'No jobs yet. Run one with the button above.' }));
    drawSummary(summary, jobs);
  };
  root.append(
    pageHead('Jobs', searchBox('Filter jobs', (v) => { filter = v; draw(); }), link('/ui/run', 'Run job', { class: 'button primary' })),
    summary, list.el);
  await watch('/v1/jobs?namespace=*', (data) => { jobs = data || []; draw(); }, {
    signal, onError: (e, ms) => list.error(e, ms), onOk: () => list.ok(),
  });
}

function drawSummary(el, jobs) {
  const byStatus = {};
  for (const j of jobs) byStatus[j.Status] = (byStatus[j.Status] || 0) + 1;
  const all = Object.fromEntries(states.map((s) => [s, 0]));
  for (const j of jobs) { const t = totals(j.JobSummary); for (const s of states) all[s] += t[s]; }
  fill(el,
    h('div', { class: 'stat' }, h('span', { class: 'n' }, jobs.length), ' jobs',
      Object.entries(byStatus).map(([s, n]) => [' · ', n, ' ', s])),
    h('div', { class: 'stat' }, 'Allocations: ', counts(all)));
}
