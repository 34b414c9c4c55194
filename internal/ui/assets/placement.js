// placement.js: why allocations could not be placed, worded as the
// CLI words it (internal/cli/placement.go), from an AllocMetric.

import { h } from './dom.js';

const sorted = (o) => Object.keys(o || {}).sort();

/** metricLines turns an AllocMetric's counters into sentences. */
export function metricLines(m, group) {
  const lines = [];
  if (!m.NodesEvaluated) lines.push('No nodes were eligible for evaluation');
  for (const dc of sorted(m.NodesAvailable)) if (!m.NodesAvailable[dc]) lines.push(`No nodes are available in datacenter "${dc}"`);
  for (const c of sorted(m.ClassFiltered)) lines.push(`Class "${c}": ${m.ClassFiltered[c]} nodes excluded by filter`);
  for (const c of sorted(m.ConstraintFiltered)) lines.push(`Constraint "${c}": ${m.ConstraintFiltered[c]} nodes excluded by filter`);
  if (m.NodesExhausted > 0) lines.push(`Resources exhausted on ${m.NodesExhausted} nodes`);
  for (const c of sorted(m.ClassExhausted)) lines.push(`Class "${c}" exhausted on ${m.ClassExhausted[c]} nodes`);
  for (const d of sorted(m.DimensionExhausted)) lines.push(`Dimension "${d}" exhausted on ${m.DimensionExhausted[d]} nodes`);
  for (const q of m.QuotaExhausted || []) lines.push(`Quota limit hit "${q}"`);
  return lines.concat(hints(m, group));
}

function hints(m, group) {
  const out = [];
  let missing = 0;
  for (const [c, n] of Object.entries(m.ConstraintFiltered || {})) if (c.includes('missing driver')) missing += n;
  if (group && missing > 0 && missing >= m.NodesEvaluated) {
    const drivers = [...new Set((group.Tasks || []).map((t) => t.Driver).filter(Boolean))].sort();
    for (const d of drivers) out.push(`No node has a healthy "${d}" driver; the Nodes page shows each node's drivers`);
  }
  if (!m.NodesEvaluated && group) out.push('No client node is ready in the job\'s datacenters: is a client agent running there?');
  return out;
}

/** failedGroups renders FailedTGAllocs (group -> AllocMetric) as a list per group. */
export function failedGroups(failed, job) {
  const names = sorted(failed);
  if (!names.length) return null;
  return h('div', { class: 'placement', role: 'status' }, names.map((name) => {
    const m = failed[name];
    const n = (m.CoalescedFailures || 0) + 1;
    const group = (job?.TaskGroups || []).find((g) => g.Name === name);
    return [
      h('p', { class: 'warn-text' }, `Task group "${name}" failed to place ${n} allocation${n === 1 ? '' : 's'}:`),
      h('ul', {}, metricLines(m, group).map((l) => h('li', {}, l)),
        h('li', { class: 'muted' }, `${m.NodesEvaluated || 0} nodes evaluated, ${m.NodesFiltered || 0} filtered, ${m.NodesExhausted || 0} exhausted`)),
    ];
  }));
}
