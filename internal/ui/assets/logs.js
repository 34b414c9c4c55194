// logs.js: a task's live logs: stdout/stderr toggle, follow through the
// streaming endpoint (fetch + ReadableStream of JSON frames), search.

import { withQuery, sleep } from './api.js';
import { authHeaders } from './token.js';
import { h, fill, showError } from './dom.js';

const maxLines = 5000;

/** logViewer returns {el, setTasks(names)} for an allocation's logs; it stops when signal aborts. */
export function logViewer(allocID, signal) {
  const taskSel = h('select', { 'aria-label': 'Task', name: 'log-task' });
  const typeBtns = ['stdout', 'stderr'].map((t) => h('button', { type: 'button', 'aria-pressed': t === 'stdout' ? 'true' : 'false', 'data-type': t }, t));
  const follow = h('input', { type: 'checkbox', checked: true, name: 'follow' });
  const search = h('input', { type: 'search', placeholder: 'Search logs', 'aria-label': 'Search logs', 'data-search': true, class: 'search' });
  const status = h('span', { class: 'muted', 'aria-live': 'polite' });
  const banner = h('div', { class: 'banner', role: 'alert', hidden: true });
  const pre = h('pre', { class: 'logs', tabindex: 0, role: 'log', 'aria-live': 'off', 'aria-label': 'Log output' });
  const el = h('section', { class: 'card', id: 'logs', 'aria-labelledby': 'logs-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'logs-title' }, 'Logs'),
      h('div', { class: 'row' }, taskSel, h('span', { class: 'toggle', role: 'group', 'aria-label': 'Stream' }, typeBtns),
        h('label', {}, follow, ' follow'), search, status)), banner, pre);
  let lines = [];
  let partial = '';
  let ctrl = null;
  let type = 'stdout';
  let filter = '';

  const draw = () => {
    const shown = filter ? lines.filter((l) => l.toLowerCase().includes(filter)) : lines;
    pre.textContent = shown.join('\n') + (!filter && partial ? `\n${partial}` : '');
    if (filter) fill(status, `${shown.length} of ${lines.length} lines match`);
    if (follow.checked) pre.scrollTop = pre.scrollHeight;
  };
  const start = () => {
    ctrl?.abort();
    ctrl = new AbortController();
    signal.addEventListener('abort', () => ctrl.abort(), { once: true });
    lines = []; partial = '';
    draw();
    if (taskSel.value) stream(taskSel.value, type, ctrl.signal);
  };
  const addText = (text) => {
    const parts = (partial + text).split('\n');
    partial = parts.pop();
    lines.push(...parts);
    if (lines.length > maxLines) lines.splice(0, lines.length - maxLines);
  };

  async function stream(task, typ, sig) {
    let delay = 1000;
    while (!sig.aborted) {
      const url = withQuery(`/v1/client/fs/logs/${encodeURIComponent(allocID)}`,
        { task, type: typ, follow: follow.checked, origin: 'end', offset: 64 << 10 });
      try {
        fill(status, follow.checked ? 'following…' : 'loading…');
        const res = await fetch(url, { signal: sig, headers: authHeaders() });
        if (!res.ok) throw Object.assign(new Error((await res.text()).trim() || res.statusText), { label: `HTTP ${res.status}`, status: res.status });
        banner.hidden = true;
        lines = []; partial = '';
        await readFrames(res.body, sig, (data) => { addText(data); draw(); });
        fill(status, follow.checked ? 'stream ended (task stopped)' : 'end of log');
        draw();
        return;
      } catch (e) {
        if (sig.aborted) return;
        if (!e.label) e.label = 'Network error';
        showError(banner, e, delay);
        fill(status, '');
        if (e.status === 400) return;
        await sleep(delay, sig);
        delay = Math.min(delay * 2, 30000);
      }
    }
  }

  taskSel.addEventListener('change', start);
  follow.addEventListener('change', start);
  for (const b of typeBtns) {
    b.addEventListener('click', () => {
      type = b.dataset.type;
      typeBtns.forEach((x) => x.setAttribute('aria-pressed', String(x === b)));
      start();
    });
  }
  search.addEventListener('input', () => { filter = search.value.trim().toLowerCase(); if (!filter) fill(status, ''); draw(); });

  return {
    el,
    /** setTasks lists the tasks; the first one streams at once. */
    setTasks(names, selected) {
      const cur = taskSel.value;
      if (names.join() === [...taskSel.options].map((o) => o.value).join()) return;
      fill(taskSel, names.map((n) => h('option', { value: n }, n)));
      taskSel.value = names.includes(cur) ? cur : (selected || names[0] || '');
      if (taskSel.value !== cur) start();
    },
    /** show switches to a task. */
    show(task) { taskSel.value = task; start(); el.scrollIntoView({ behavior: 'smooth' }); },
  };
}

/** readFrames reads a stream of JSON frames ({Data: base64}) and calls onData with decoded text. */
export async function readFrames(body, signal, onData) {
  const reader = body.getReader();
  const text = new TextDecoder();
  const utf8 = new TextDecoder('utf-8');
  let buf = '';
  signal.addEventListener('abort', () => reader.cancel().catch(() => {}), { once: true });
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += text.decode(value, { stream: true });
    let end;
    while ((end = frameEnd(buf)) > 0) {
      const frame = JSON.parse(buf.slice(0, end));
      buf = buf.slice(end);
      if (frame.Data) onData(utf8.decode(b64(frame.Data), { stream: true }));
    }
  }
}

/** frameEnd finds the end of the first complete JSON object in s, or 0. */
function frameEnd(s) {
  let depth = 0, inStr = false, esc = false, started = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inStr) {
      if (esc) esc = false;
      else if (c === '\\') esc = true;
      else if (c === '"') inStr = false;
    } else if (c === '"') inStr = true;
    else if (c === '{') { depth++; started = true; }
    else if (c === '}' && --depth === 0 && started) return i + 1;
  }
  return 0;
}

function b64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
