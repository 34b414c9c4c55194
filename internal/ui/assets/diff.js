// diff.js: renders the job diffs the API returns (JobDiff with fields,
// objects, groups and tasks, as in a plan), and compares two job
// versions field by field when the API has no diff for the pair.

import { h } from './dom.js';

const mark = { Added: '+', Deleted: '-', Edited: '~', None: ' ' };

function fieldItem(f) {
  const ann = f.Annotations?.length ? h('span', { class: 'ann' }, ` (${f.Annotations.join(', ')})`) : null;
  let val;
  if (f.Type === 'Added') val = [': ', h('ins', {}, JSON.stringify(f.New))];
  else if (f.Type === 'Deleted') val = [': ', h('del', {}, JSON.stringify(f.Old))];
  else val = [': ', h('del', {}, JSON.stringify(f.Old)), ' → ', h('ins', {}, JSON.stringify(f.New))];
  return h('li', { class: `d-${(f.Type || 'None').toLowerCase()}` }, h('span', { class: 'mark', 'aria-hidden': 'true' }, mark[f.Type] || ' '),
    h('span', { class: 'sr-only' }, `${f.Type}: `), f.Name, val, ann);
}

function objectItem(o) {
  return h('li', { class: `d-${(o.Type || 'None').toLowerCase()}` }, h('span', { class: 'mark', 'aria-hidden': 'true' }, mark[o.Type] || ' '),
    h('span', { class: 'sr-only' }, `${o.Type}: `), h('strong', {}, o.Name), ' {', body(o), '}');
}

function body(d) {
  const items = [];
  for (const f of d.Fields || []) if (f.Type !== 'None') items.push(fieldItem(f));
  for (const o of d.Objects || []) if (o.Type !== 'None') items.push(objectItem(o));
  return items.length ? h('ul', { class: 'diff' }, items) : null;
}

function updates(u) {
  const parts = Object.entries(u || {}).filter(([, n]) => n).map(([k, n]) => `${n} ${k}`);
  return parts.length ? h('span', { class: 'ann' }, ` (${parts.join(', ')})`) : null;
}

/** renderDiff renders a JobDiff; null or no change gives a short note. */
export function renderDiff(d) {
  if (!d || d.Type === 'None' && !(d.TaskGroups || []).some((g) => g.Type !== 'None' || Object.keys(g.Updates || {}).length)) {
    return h('p', { class: 'muted' }, 'No changes.');
  }
  const groups = (d.TaskGroups || []).map((g) => h('li', { class: `d-${(g.Type || 'None').toLowerCase()}` },
    h('span', { class: 'mark', 'aria-hidden': 'true' }, mark[g.Type] || ' '), h('span', { class: 'sr-only' }, `${g.Type}: `),
    'Task group ', h('strong', {}, g.Name), updates(g.Updates), body(g),
    (g.Tasks || []).filter((t) => t.Type !== 'None').length ? h('ul', { class: 'diff' }, g.Tasks.filter((t) => t.Type !== 'None').map((t) =>
      h('li', { class: `d-${t.Type.toLowerCase()}` }, h('span', { class: 'mark', 'aria-hidden': 'true' }, mark[t.Type]),
        h('span', { class: 'sr-only' }, `${t.Type}: `), 'Task ', h('strong', {}, t.Name),
        t.Annotations?.length ? h('span', { class: 'ann' }, ` (${t.Annotations.join(', ')})`) : null, body(t)))) : null));
  return h('div', { class: 'diffview' }, h('p', {}, h('span', { class: 'mark' }, mark[d.Type]), ' Job ', h('strong', {}, d.ID), ` (${d.Type})`),
    body(d), groups.length ? h('ul', { class: 'diff' }, groups) : null);
}

// Fields that change on every registration and say nothing about the spec.
const noise = new Set(['ModifyIndex', 'JobModifyIndex', 'CreateIndex', 'SubmitTime', 'Version', 'Status', 'StatusDescription', 'Stable']);

function flatten(v, prefix, out) {
  if (v && typeof v === 'object') {
    const keyed = Array.isArray(v) && v.every((x) => x && typeof x === 'object' && 'Name' in x);
    for (const [k, x] of Object.entries(v)) {
      if (!prefix && noise.has(k)) continue;
      flatten(x, prefix ? `${prefix}.${keyed ? x.Name : k}` : k, out);
    }
  } else if (v !== null && v !== undefined && v !== '' && v !== 0 && v !== false) {
    out.set(prefix, v);
  }
  return out;
}

/** fieldDiff compares two job versions: [{path, old, new}] for every leaf that differs. */
export function fieldDiff(a, b) {
  const fa = flatten(a, '', new Map());
  const fb = flatten(b, '', new Map());
  const keys = [...new Set([...fa.keys(), ...fb.keys()])].sort();
  return keys.filter((k) => fa.get(k) !== fb.get(k)).map((k) => ({ path: k, old: fa.get(k), new: fb.get(k) }));
}

/** renderFieldDiff renders fieldDiff's output. */
export function renderFieldDiff(changes) {
  if (!changes.length) return h('p', { class: 'muted' }, 'The two versions have the same specification.');
  return h('ul', { class: 'diff' }, changes.map((c) => {
    const type = c.old === undefined ? 'Added' : c.new === undefined ? 'Deleted' : 'Edited';
    return fieldItem({ Type: type, Name: c.path, Old: c.old, New: c.new });
  }));
}
