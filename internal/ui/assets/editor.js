// editor.js: write or edit a job (HCL, or JSON for a stored job), plan
// it (diff, annotations, placement failures), confirm, submit.

import { get, put, post, withQuery, enc, ApiError } from './api.js';
import { h, fill, pageHead, link, errorBox } from './dom.js';
import { renderDiff } from './diff.js';
import { failedGroups } from './placement.js';
import { jobHref } from './jobs.js';

const example = `job "example" {
  datacenters = ["*"]
  group "web" {
    count = 1
    task "server" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "while true; do echo hello; sleep 5; done"]
      }
    }
  }
}
`;

export async function render({ root, params, query, signal }) {
  const editing = params.id;
  const ns = query.get('namespace') || 'default';
  const area = h('textarea', { id: 'job-source', class: 'editor', spellcheck: 'false', rows: 24, 'aria-describedby': 'editor-help',
    autocapitalize: 'off', autocomplete: 'off', name: 'source' });
  const file = h('input', { type: 'file', accept: '.hcl,.nomad,.json,text/plain', 'aria-label': 'Load a job file' });
  const planBtn = h('button', { type: 'submit', class: 'primary' }, 'Plan');
  const out = h('div', { class: 'plan-out', 'aria-live': 'polite' });
  const form = h('form', { class: 'editor-form' },
    h('p', { id: 'editor-help', class: 'muted' }, 'A job file in HCL (as for "wharf job run"), or a job in JSON. ',
      'Plan shows what would change; nothing runs until you confirm.'),
    h('label', { for: 'job-source', class: 'sr-only' }, 'Job specification'), area,
    h('div', { class: 'row' }, planBtn, h('label', { class: 'file' }, 'Load file: ', file)));
  root.append(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, link('/ui/jobs', 'Jobs'), ' / ',
      editing ? [link(jobHref(editing, ns), editing), ' / edit'] : 'run'),
    pageHead(editing ? `Edit ${editing}` : 'Run a job'), form, out);
  area.value = example;
  if (editing) {
    area.value = '';
    try {
      const job = await get(withQuery(`/v1/job/${enc(editing)}`, ns === 'default' ? {} : { namespace: ns }), { signal });
      area.value = JSON.stringify(job, null, 2);
    } catch (e) {
      if (e.name !== 'AbortError') fill(out, errorBox(e));
    }
  }
  file.addEventListener('change', async () => { if (file.files[0]) area.value = await file.files[0].text(); });
  area.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    planBtn.disabled = true;
    fill(out, h('p', { class: 'muted' }, 'Planning…'));
    try {
      const job = await toJob(area.value);
      const plan = await put(withQuery(`/v1/job/${enc(job.ID)}/plan`, nsOf(job)), { Job: job, Diff: true });
      showPlan(out, job, plan, signal);
    } catch (err) {
      fill(out, sourceError(err, area));
    } finally {
      planBtn.disabled = false;
    }
  });
}

const nsOf = (job) => (job.Namespace && job.Namespace !== 'default' ? { namespace: job.Namespace } : {});

/** toJob turns the editor's text into a job: JSON as is, HCL through /v1/jobs/parse. */
async function toJob(text) {
  const t = text.trim();
  if (!t) throw new ApiError(400, 'the job specification is empty');
  if (t.startsWith('{')) {
    let v;
    try {
      v = JSON.parse(t);
    } catch (e) {
      throw new ApiError(400, `invalid JSON: ${e.message}`);
    }
    return v.Job || v;
  }
  return post('/v1/jobs/parse', { JobHCL: text, Canonicalize: true });
}

/** sourceError shows an error; file:line:col positions become buttons that select the line. */
function sourceError(err, area) {
  const box = errorBox(err);
  const pos = [...(err.message || '').matchAll(/:(\d+):(\d+)/g)];
  if (pos.length) {
    box.append(h('div', { class: 'row' }, pos.slice(0, 5).map(([, line, col]) => {
      const b = h('button', { type: 'button' }, `Go to line ${line}, column ${col}`);
      b.addEventListener('click', () => selectLine(area, Number(line), Number(col)));
      return b;
    })));
  }
  return box;
}

function selectLine(area, line, col) {
  const lines = area.value.split('\n');
  let start = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) start += lines[i].length + 1;
  const end = start + (lines[line - 1]?.length || 0);
  area.focus();
  area.setSelectionRange(Math.min(start + col - 1, end), end);
  area.scrollTop = Math.max(0, (line - 5) * 18);
}

function showPlan(out, job, plan, signal) {
  const tg = plan.Annotations?.DesiredTGUpdates || {};
  const runBtn = h('button', { type: 'button', class: 'primary', id: 'run-job' }, 'Run');
  const msg = h('div', { 'aria-live': 'polite' });
  runBtn.addEventListener('click', async () => {
    runBtn.disabled = true;
    fill(msg, h('p', { class: 'muted' }, 'Submitting…'));
    try {
      const body = { Job: job };
      if (plan.JobModifyIndex) Object.assign(body, { EnforceIndex: true, JobModifyIndex: plan.JobModifyIndex });
      await put('/v1/jobs', body, { signal });
      window.wharfNavigate(jobHref(job.ID, job.Namespace));
    } catch (err) {
      runBtn.disabled = false;
      fill(msg, errorBox(err.status === 409 ? new ApiError(409, `${err.message} — the job changed since the plan; plan again`) : err));
    }
  });
  fill(out, h('section', { class: 'card', 'aria-labelledby': 'plan-title' },
    h('h2', { id: 'plan-title' }, `Plan for ${job.ID}`),
    renderDiff(plan.Diff),
    Object.keys(tg).length ? h('ul', { class: 'plain' }, Object.entries(tg).map(([g, u]) => h('li', {}, 'Group ', h('strong', {}, g), ': ',
      Object.entries(u).filter(([k, n]) => n && typeof n === 'number').map(([k, n]) => `${n} ${k.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()}`).join(', ') || 'no change'))) : null,
    plan.FailedTGAllocs && Object.keys(plan.FailedTGAllocs).length
      ? [h('h3', {}, 'Placement failures'), failedGroups(plan.FailedTGAllocs, job),
        h('p', { class: 'muted' }, 'The job can still be submitted: its allocations will wait until resources free up.')] : null,
    plan.Warnings ? h('p', { class: 'warn-text' }, plan.Warnings) : null,
    h('div', { class: 'row' }, runBtn, h('span', { class: 'muted' }, plan.JobModifyIndex ? `Submits with JobModifyIndex ${plan.JobModifyIndex} enforced.` : 'A new job.')),
    msg));
  runBtn.focus();
}
