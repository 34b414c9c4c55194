// job.js: one job: groups with counts and scaling, allocations,
// placement failures, evaluations, versions with diffs; stop and start.

import { watch, get, post, put, del, withQuery, enc } from './api.js';
import { h, fill, badge, table, section, link, pageHead, kv, ago, shortId, confirmButton, errorBox } from './dom.js';
import { allocTable } from './allocs.js';
import { failedGroups } from './placement.js';
import { renderDiff, fieldDiff, renderFieldDiff } from './diff.js';

const groupStates = ['Queued', 'Starting', 'Running', 'Failed', 'Complete', 'Lost'];

export async function render({ root, params, query, signal }) {
  const ns = query.get('namespace') || 'default';
  const q = ns === 'default' ? {} : { namespace: ns };
  const base = `/v1/job/${enc(params.id)}`;
  const api = (p = '', extra = {}) => withQuery(base + p, { ...q, ...extra });
  const head = h('div');
  const info = section('Details', { id: 'details' });
  const groups = section('Task groups', { id: 'groups' });
  const placement = h('div', { 'aria-live': 'polite' });
  const allocs = section('Allocations', { id: 'allocations' });
  const evals = section('Evaluations', { id: 'evaluations' });
  const versions = section('Versions', { id: 'versions' });
  root.append(head, placement, info.el, groups.el, allocs.el, evals.el, versions.el);
  const groupRows = new Map();
  let lastVersion = -1;

  const refresh = async (job) => {
    drawHead(head, job, api, params.id, ns);
    info.show(kv([
      ['Namespace', job.Namespace], ['Type', job.Type], ['Priority', job.Priority],
      ['Datacenters', (job.Datacenters || []).join(', ')], ['Version', `v${job.Version}`],
      ['Submitted', ago(job.SubmitTime)], job.StatusDescription && ['Description', job.StatusDescription],
    ]));
    const [summary, allocList, evalList] = await Promise.all([
      get(api('/summary'), { signal }), get(api('/allocations'), { signal }), get(api('/evaluations'), { signal })]);
    drawGroups(groups, groupRows, job, summary, api);
    allocs.show(allocTable(allocList || []));
    drawEvals(evals, placement, evalList || [], job);
    if (job.Version !== lastVersion) {
      lastVersion = job.Version;
      drawVersions(versions, await get(api('/versions', { diffs: true }), { signal }));
    }
  };
  const all = [info, groups, allocs, evals];
  await watch(api(), refresh, {
    signal, onError: (e, ms) => all.forEach((s) => s.error(e, ms)), onOk: () => all.forEach((s) => s.ok()),
  });
}

function drawHead(el, job, api, id, ns) {
  const stopped = job.Stop;
  const editHref = withQuery(`/ui/jobs/${enc(id)}/edit`, ns === 'default' ? {} : { namespace: ns });
  const actions = [link(editHref, 'Edit', { class: 'button' })];
  if (stopped) {
    actions.push(confirmButton('Start', `Start job ${id} again?`, async () => {
      const current = await get(api());
      await put('/v1/jobs', { Job: { ...current, Stop: false } });
    }));
  } else {
    actions.push(confirmButton('Stop', `Stop every allocation of ${id}?`, () => del(api()), { danger: true }));
  }
  const title = h('span', {}, id, ' ', badge(stopped && job.Status !== 'dead' ? 'stopped' : job.Status));
  fill(el, h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, link('/ui/jobs', 'Jobs'), ' / ', id), pageHead(title, actions));
}

function drawGroups(sec, rows, job, summary, api) {
  if (!sec.body.querySelector('table')) {
    const tbody = h('tbody');
    sec.show(h('div', { class: 'scroll' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Group', 'Desired', ...groupStates, 'Scale'].map((t) => h('th', { scope: 'col' }, t)))), tbody)));
    rows.tbody = tbody;
  }
  const seen = new Set();
  for (const g of job.TaskGroups || []) {
    seen.add(g.Name);
    let r = rows.get(g.Name);
    if (!r) {
      r = groupRow(g.Name, api);
      rows.set(g.Name, r);
      rows.tbody.append(r.tr);
    }
    r.cells.desired.textContent = g.Count;
    const s = summary?.Summary?.[g.Name] || {};
    for (const st of groupStates) {
      r.cells[st].textContent = s[st] || 0;
      r.cells[st].className = `num c-${st.toLowerCase()}${s[st] ? '' : ' zero'}`;
    }
    if (document.activeElement !== r.input) r.input.value = g.Count;
  }
  for (const [name, r] of rows) if (name !== 'tbody' && !seen.has(name)) { r.tr.remove(); rows.delete(name); }
}

function groupRow(name, api) {
  const cells = { desired: h('td', { class: 'num', 'data-label': 'Desired' }) };
  for (const st of groupStates) cells[st] = h('td', { class: 'num', 'data-label': st });
  const input = h('input', { type: 'number', min: 0, max: 10000, 'aria-label': `Count for group ${name}`, class: 'count-input', name: `count-${name}` });
  const msg = h('span', { 'aria-live': 'polite', class: 'muted' });
  const form = h('form', { class: 'inline' }, input, h('button', { type: 'submit' }, 'Scale'), msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const n = Number(input.value);
    if (!Number.isInteger(n) || n < 0) { fill(msg, errorBox(new Error('count must be a whole number ≥ 0'))); return; }
    fill(msg, 'Scaling…');
    try {
      await post(api('/scale'), { Count: n, Target: { Group: name }, Message: 'scaled from the web UI' });
      fill(msg, `Scaled to ${n}.`);
      input.blur();
    } catch (err) {
      fill(msg, errorBox(err));
    }
  });
  const tr = h('tr', { 'data-group': name }, h('th', { scope: 'row' }, name), cells.desired,
    groupStates.map((s) => cells[s]), h('td', { 'data-label': 'Scale' }, form));
  return { tr, cells, input };
}

function drawEvals(sec, placement, list, job) {
  const blocked = list.find((e) => e.Status === 'blocked' && e.FailedTGAllocs && Object.keys(e.FailedTGAllocs).length);
  const latest = list.find((e) => e.FailedTGAllocs && Object.keys(e.FailedTGAllocs).length);
  const failing = blocked || (latest && latest === list[0] ? latest : null);
  fill(placement, failing ? h('section', { class: 'card warn', 'aria-labelledby': 'pf-title' },
    h('h2', { id: 'pf-title' }, 'Placement failures'), failedGroups(failing.FailedTGAllocs, job)) : null);
  sec.show(table([
    { title: 'ID', cell: (e) => h('span', { class: 'mono', title: e.ID }, shortId(e.ID)) },
    { title: 'Triggered by', cell: (e) => e.TriggeredBy },
    { title: 'Status', cell: (e) => badge(e.Status, e.StatusDescription) },
    { title: 'Placement', cell: (e) => e.FailedTGAllocs && Object.keys(e.FailedTGAllocs).length
      ? h('details', {}, h('summary', {}, `failed: ${Object.keys(e.FailedTGAllocs).join(', ')}`), failedGroups(e.FailedTGAllocs, job))
      : h('span', { class: 'muted' }, 'ok') },
    { title: 'Created', cell: (e) => ago(e.CreateTime) },
  ], list.slice(0, 20), { empty: 'No evaluations.' }));
}

function drawVersions(sec, resp) {
  const versions = resp?.Versions || [];
  const diffs = resp?.Diffs || [];
  const byVersion = new Map(versions.map((v) => [v.Version, v]));
  const opts = (sel) => versions.map((v) => h('option', { value: v.Version, selected: v.Version === sel }, `v${v.Version}`));
  const a = h('select', { 'aria-label': 'Older version' }, opts(versions[1]?.Version ?? versions[0]?.Version));
  const b = h('select', { 'aria-label': 'Newer version' }, opts(versions[0]?.Version));
  const out = h('div', { 'aria-live': 'polite' });
  const compare = () => fill(out, renderFieldDiff(fieldDiff(byVersion.get(Number(a.value)), byVersion.get(Number(b.value)))));
  a.addEventListener('change', compare);
  b.addEventListener('change', compare);
  sec.show(
    h('ol', { class: 'versions', reversed: true }, versions.map((v, i) => h('li', {},
      h('details', { open: i === 0 && versions.length > 1 }, h('summary', {}, h('strong', {}, `v${v.Version}`), ' ',
        ago(v.SubmitTime), v.Stable ? ' · stable' : '', v.Stop ? ' · stopped' : ''),
      i < diffs.length ? renderDiff(diffs[i]) : h('p', { class: 'muted' }, 'First version.'))))),
    versions.length > 1 ? h('div', { class: 'compare' }, h('h3', {}, 'Compare two versions'),
      h('label', {}, 'From ', a), ' ', h('label', {}, 'to ', b), out) : null);
  if (versions.length > 1) compare();
}
