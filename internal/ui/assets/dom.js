// dom.js: a tiny DOM builder and the widgets every page shares: status
// badges, tables, sections with in-place error banners, formatting.

/** h builds an element: h('a', {href, class, onclick}, ...children). */
export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, kids);
  return el;
}

function append(el, kids) {
  for (const k of kids) {
    if (k === undefined || k === null || k === false) continue;
    if (Array.isArray(k)) append(el, k);
    else el.append(k instanceof Node ? k : String(k));
  }
}

/** fill replaces el's children. */
export function fill(el, ...kids) {
  el.replaceChildren();
  append(el, kids);
  return el;
}

const statusClass = {
  running: 'ok', passing: 'ok', ready: 'ok', complete: 'done', successful: 'done', healthy: 'ok', eligible: 'ok',
  enabled: 'ok', up: 'ok', pending: 'wait', starting: 'wait', queued: 'wait', initializing: 'wait', blocked: 'wait',
  warning: 'warn', draining: 'warn', ineligible: 'warn', unknown: 'warn', canceled: 'muted', dead: 'muted',
  stop: 'muted', stopped: 'muted', failed: 'bad', lost: 'bad', critical: 'bad', down: 'bad', unhealthy: 'bad',
  disabled: 'bad', error: 'bad', evict: 'bad',
};

/** badge is a status shown as text with a colour that repeats it. */
export function badge(status, title) {
  const s = String(status || 'unknown').toLowerCase();
  return h('span', { class: `badge b-${statusClass[s] || 'muted'}`, title }, s);
}

/** link is an in-app link; the router catches clicks on /ui/ hrefs. */
export const link = (href, text, attrs = {}) => h('a', { href, ...attrs }, text);

/**
 * table renders rows with columns [{title, cell(row), class}]; empty is
 * the text shown when there are no rows.
 */
export function table(columns, rows, { empty = 'None.', caption, rowAttrs } = {}) {
  if (!rows.length) return h('p', { class: 'muted empty' }, empty);
  const head = h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.class }, c.title)));
  const body = rows.map((r) => h('tr', rowAttrs ? rowAttrs(r) : {}, columns.map((c) =>
    h('td', { class: c.class, 'data-label': c.title }, c.cell(r)))));
  return h('div', { class: 'scroll' }, h('table', {}, caption && h('caption', {}, caption), h('thead', {}, head), h('tbody', {}, body)));
}

/**
 * section is a titled page region that updates live: body holds data,
 * banner shows an error in place (status and message) while the data
 * below stays as last seen.
 */
export function section(title, { id, actions, live = true } = {}) {
  const hid = id ? `${id}-title` : undefined;
  const banner = h('div', { class: 'banner', role: 'alert', hidden: true });
  const body = h('div', { class: 'body', 'aria-live': live ? 'polite' : undefined, 'aria-busy': 'true' },
    h('p', { class: 'muted' }, 'Loading…'));
  const el = h('section', { class: 'card', id, 'aria-labelledby': hid },
    h('div', { class: 'card-head' }, h('h2', { id: hid }, title), actions), banner, body);
  return {
    el, body, banner,
    /** show replaces the section's content and clears any error. */
    show(...kids) { fill(body, ...kids); body.setAttribute('aria-busy', 'false'); this.ok(); },
    ok() { banner.hidden = true; },
    error(err, retryMs) { showError(banner, err, retryMs); body.setAttribute('aria-busy', 'false'); },
  };
}

/** showError fills a banner with an error's status and message. */
export function showError(banner, err, retryMs) {
  const label = err.label || 'Error';
  fill(banner, h('strong', {}, label), ': ', h('span', { class: 'msg' }, err.message || String(err)),
    retryMs ? h('span', { class: 'retry' }, ` — retrying in ${Math.round(retryMs / 1000)} s`) : null);
  banner.hidden = false;
}

/** errorBox is a one-off error message for a failed action. */
export function errorBox(err) {
  return h('div', { class: 'banner', role: 'alert' }, h('strong', {}, err.label || 'Error'), ': ',
    h('pre', { class: 'msg' }, err.message || String(err)));
}

/** shortId is the first 8 characters of a UUID. */
export const shortId = (id) => (id || '').slice(0, 8);

/** toDate accepts nanoseconds, milliseconds or an ISO string. */
export function toDate(t) {
  if (!t) return null;
  if (typeof t === 'string') {
    const d = new Date(t);
    return isNaN(d) || d.getFullYear() < 1971 ? null : d;
  }
  return new Date(t > 1e15 ? t / 1e6 : t);
}

/** ago formats a time as "3m ago" with the full time in a tooltip. */
export function ago(t) {
  const d = toDate(t);
  if (!d) return h('span', { class: 'muted' }, '—');
  const s = Math.round((Date.now() - d.getTime()) / 1000);
  let txt;
  if (Math.abs(s) < 60) txt = `${Math.max(s, 0)}s ago`;
  else if (s < 3600) txt = `${Math.floor(s / 60)}m ago`;
  else if (s < 86400) txt = `${Math.floor(s / 3600)}h ago`;
  else txt = `${Math.floor(s / 86400)}d ago`;
  return h('time', { datetime: d.toISOString(), title: d.toLocaleString() }, txt);
}

/** clock formats a time as the local time of day with seconds. */
export function clock(t) {
  const d = toDate(t);
  return d ? h('time', { datetime: d.toISOString(), title: d.toLocaleString() }, d.toLocaleTimeString()) : '—';
}

/** bytes formats a byte count. */
export function bytes(n) {
  if (!n) return '0 B';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(n < 10 && i ? 1 : 0)} ${u[i]}`;
}

/** meter shows used of total with a bar and the figures as text. */
export function meter(label, used, total, fmt = String) {
  const pct = total > 0 ? Math.min(100, (used / total) * 100) : 0;
  const cls = pct > 90 ? 'bad' : pct > 75 ? 'warn' : 'ok';
  return h('div', { class: 'meter' },
    h('div', { class: 'meter-label' }, h('span', {}, label), h('span', {}, `${fmt(used)} / ${total ? fmt(total) : '?'} (${pct.toFixed(0)}%)`)),
    h('div', { class: `bar b-${cls}`, role: 'meter', 'aria-label': label, 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': pct.toFixed(0) },
      h('span', { style: `width:${pct.toFixed(1)}%` })));
}

/** kv renders a definition list from [label, value] pairs. */
export function kv(pairs) {
  return h('dl', { class: 'kv' }, pairs.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '—')]));
}

/** confirmButton asks inline before running action; no modal dialog. */
export function confirmButton(label, question, action, { danger = false } = {}) {
  const wrap = h('span', { class: 'confirm' });
  const start = h('button', { type: 'button', class: danger ? 'danger' : '' }, label);
  const status = h('span', { class: 'muted', 'aria-live': 'polite' });
  start.addEventListener('click', () => {
    const yes = h('button', { type: 'button', class: danger ? 'danger' : 'primary' }, `Yes, ${label.toLowerCase()}`);
    const no = h('button', { type: 'button' }, 'Cancel');
    const back = () => { fill(wrap, start, status); start.focus(); };
    no.addEventListener('click', back);
    yes.addEventListener('click', async () => {
      yes.disabled = no.disabled = true;
      fill(status, 'Working…');
      try {
        await action();
        fill(status, '');
        fill(wrap, start, status);
      } catch (e) {
        fill(wrap, start, status);
        fill(status, errorBox(e));
      }
    });
    fill(wrap, h('span', { class: 'question' }, question), ' ', yes, ' ', no);
    yes.focus();
  });
  return fill(wrap, start, status);
}

/** searchBox is the page's filter input; "/" focuses it. */
export function searchBox(placeholder, onInput) {
  const input = h('input', { type: 'search', placeholder, 'aria-label': placeholder, 'data-search': true, class: 'search' });
  input.addEventListener('input', () => onInput(input.value.trim().toLowerCase()));
  return input;
}

/** pageHead is the page's title row. */
export function pageHead(title, ...extra) {
  document.title = `${typeof title === 'string' ? title : title.textContent} · wharf`;
  return h('div', { class: 'page-head' }, h('h1', {}, title), h('div', { class: 'actions' }, extra));
}
