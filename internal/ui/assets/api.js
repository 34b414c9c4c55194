// api.js: fetch wrappers for wharf's /v1 API, blocking-query loops that
// stop when their page's AbortSignal fires, and polling with backoff.

import { authHeaders } from './token.js';

/** ApiError is a failed request: the HTTP status (0 for a network error) and the server's message. */
export class ApiError extends Error {
  constructor(status, message, path) {
    super(message);
    this.status = status;
    this.path = path;
  }
  get label() {
    return this.status ? `HTTP ${this.status}` : 'Network error';
  }
}

/** withQuery appends query parameters to a path that may already have some. */
export function withQuery(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  if (!s) return path;
  return path + (path.includes('?') ? '&' : '?') + s;
}

/** request sends one API request and returns {data, index}; it throws ApiError on failure. */
export async function request(method, path, body, { signal } = {}) {
  const init = { method, signal, headers: authHeaders() };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, `${e.message || e} — is the wharf agent running?`, path);
  }
  let text = '';
  try {
    text = await res.text();
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, `connection lost while reading the answer: ${e.message}`, path);
  }
  if (res.status === 403) throw new ApiError(403, `${text.trim() || res.statusText} — set an ACL token with the Token button`, path);
  if (!res.ok) throw new ApiError(res.status, text.trim() || res.statusText, path);
  const index = Number(res.headers.get('X-Nomad-Index') || 0);
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      throw new ApiError(res.status, `the answer is not JSON: ${text.slice(0, 200)}`, path);
    }
  }
  return { data, index };
}

/** get reads a path and returns its JSON. */
export const get = (path, opts) => request('GET', path, undefined, opts).then((r) => r.data);
/** put sends JSON with PUT. */
export const put = (path, body, opts) => request('PUT', path, body, opts).then((r) => r.data);
/** post sends JSON with POST. */
export const post = (path, body, opts) => request('POST', path, body, opts).then((r) => r.data);
/** del sends DELETE. */
export const del = (path, opts) => request('DELETE', path, undefined, opts).then((r) => r.data);

/** sleep waits ms, or until signal aborts. */
export function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}

const maxBackoff = 30000;

/**
 * watch runs a blocking-query loop on path: onData(data, index) on the
 * first answer and whenever the index moves; onError(err, retryMs) when
 * a request fails (then it retries with backoff); onOk() after a success.
 * It ends when signal aborts.
 */
export async function watch(path, onData, { signal, onError, onOk, wait = '5m' } = {}) {
  let index = 0;
  let delay = 1000;
  while (!signal?.aborted) {
    try {
      const url = index ? withQuery(path, { index, wait }) : path;
      const r = await request('GET', url, undefined, { signal });
      if (signal?.aborted) return;
      const changed = !index || r.index !== index;
      index = r.index > 0 ? r.index : 0;
      delay = 1000;
      onOk?.();
      if (changed) await onData(r.data, r.index);
      if (!index) await sleep(2000, signal);
    } catch (e) {
      if (signal?.aborted || e.name === 'AbortError') return;
      index = 0;
      onError?.(e, delay);
      await sleep(delay, signal);
      delay = Math.min(delay * 2, maxBackoff);
    }
  }
}

/** poll calls fn every ms until signal aborts, backing off while it fails. */
export async function poll(fn, ms, { signal, onError, onOk } = {}) {
  let delay = ms;
  while (!signal?.aborted) {
    try {
      await fn();
      if (signal?.aborted) return;
      delay = ms;
      onOk?.();
    } catch (e) {
      if (signal?.aborted || e.name === 'AbortError') return;
      onError?.(e, delay);
      delay = Math.min(delay * 2, maxBackoff);
    }
    await sleep(delay, signal);
  }
}

/** nsQuery is the ?namespace= part for a namespace other than default. */
export function nsParam(ns) {
  return ns && ns !== 'default' ? { namespace: ns } : {};
}

/** enc escapes one path segment. */
export const enc = encodeURIComponent;
