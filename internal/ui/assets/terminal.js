// terminal.js is the web UI's exec terminal: an overlay with an xterm.js
// terminal running a command (by default /bin/sh) in a task over the exec
// websocket, in Nomad's frame format.
//
// Use:
//
//   import './terminal.js';            // or <script type="module" src="terminal.js">
//   window.wharfTerminal.open({allocID, task});
//
// xterm.js (vendor/, ~350 KB) and its stylesheets load on the first open(),
// so pages that never open a terminal do not pay for it.
//
// Debug hook for tests: window.wharfTerminal.current is the open session
// (null when none): .term is the xterm.js Terminal (read its buffer with
// term.buffer.active), .text() returns the buffer's lines as one string,
// .state is "connecting", "running", "reconnecting", "exited", "error" or
// "closed", and .exitCode the command's exit code once it exited.

import { authHeaders, token } from './token.js';

const HEARTBEAT_MS = 10000; // an empty frame keeps idle sessions alive
const RECONNECT_DELAYS_MS = [250, 500, 1000, 2000, 4000, 8000, 10000];
const MAX_RECONNECTS = 20; // about three minutes of retrying
const DEFAULT_COMMAND = ['/bin/sh'];

let libs = null; // Promise of {Terminal, FitAddon}

// loadLibs imports xterm.js and the fit addon once and adds their styles.
function loadLibs() {
  if (!libs) {
    addStyle('vendor/xterm/xterm.css');
    addStyle('terminal.css');
    libs = Promise.all([
      import('./vendor/xterm/xterm.mjs'),
      import('./vendor/addon-fit/addon-fit.mjs'),
    ]).then(([x, f]) => ({ Terminal: x.Terminal, FitAddon: f.FitAddon }));
  }
  return libs;
}

// addStyle links a stylesheet next to this module unless the page has it.
function addStyle(rel) {
  const href = new URL(rel, import.meta.url).href;
  for (const l of document.querySelectorAll('link[rel="stylesheet"]')) {
    if (l.href === href) return;
  }
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = href;
  document.head.append(link);
}

// toBase64 encodes a string as UTF-8, then base64.
function toBase64(s) {
  return bytesToBase64(new TextEncoder().encode(s));
}

// binaryToBase64 encodes a string whose chars are bytes (xterm's onBinary).
function binaryToBase64(s) {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return bytesToBase64(b);
}

function bytesToBase64(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

// fromBase64 decodes base64 to bytes (xterm decodes UTF-8 across chunks).
function fromBase64(s) {
  const bin = atob(s);
  const b = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) b[i] = bin.charCodeAt(i);
  return b;
}

// execURL is the exec websocket's address on this page's origin.
function execURL(allocID, task, command) {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const q = new URLSearchParams({ command: JSON.stringify(command), tty: 'true' });
  if (task) q.set('task', task);
  return `${proto}//${location.host}/v1/client/allocation/${encodeURIComponent(allocID)}/exec?${q}`;
}

// el makes an element with attributes and children.
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

// Session is one open terminal overlay and its websocket(s).
class Session {
  constructor(opts, lib) {
    this.allocID = opts.allocID;
    this.task = opts.task || '';
    this.command = opts.command || DEFAULT_COMMAND;
    this.state = 'connecting';
    this.exitCode = null;
    this.ws = null;
    this.attempts = 0;
    this.everConnected = false;
    this.timers = new Set();
    this.returnFocus = document.activeElement;
    this.buildDOM();
    this.term = new lib.Terminal({
      cursorBlink: true,
      convertEol: false,
      scrollback: 5000,
      fontFamily: 'ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace',
      fontSize: 14,
      theme: { background: '#111418', foreground: '#e6e6e6' },
    });
    this.fit = new lib.FitAddon();
    this.term.loadAddon(this.fit);
    this.term.open(this.screen);
    this.term.attachCustomKeyEventHandler((ev) => this.onKey(ev));
    this.term.onData((d) => this.sendStdin(toBase64(d)));
    this.term.onBinary((d) => this.sendStdin(binaryToBase64(d)));
    this.term.onResize(({ cols, rows }) => this.sendSize(rows, cols));
    this.onWindowResize = () => this.refit();
    window.addEventListener('resize', this.onWindowResize);
    this.observer = new ResizeObserver(() => this.refit());
    this.observer.observe(this.screen);
    this.refit();
    this.term.focus();
    this.connect();
  }

  // buildDOM adds the overlay: a title bar with buttons, the terminal's
  // screen and a status bar.
  buildDOM() {
    const title = `${this.task || 'task'} · ${this.allocID.slice(0, 8)} · ${this.command.join(' ')}`;
    this.statusEl = el('div', { class: 'wt-status', role: 'status', 'aria-live': 'polite', 'data-test': 'terminal-status' });
    this.screen = el('div', { class: 'wt-screen', 'data-test': 'terminal-screen' });
    const btn = (label, test, fn, aria) => {
      const b = el('button', { type: 'button', class: 'wt-btn', 'data-test': test }, label);
      if (aria) b.setAttribute('aria-label', aria);
      b.addEventListener('click', fn);
      return b;
    };
    this.reconnectBtn = btn('Reconnect', 'terminal-reconnect', () => this.restart());
    this.reconnectBtn.hidden = true;
    const head = el('div', { class: 'wt-head' },
      el('span', { class: 'wt-title', id: 'wt-title' }, title),
      el('span', { class: 'wt-hint' }, 'Ctrl+Shift+C / Ctrl+Shift+V'),
      this.reconnectBtn,
      btn('Copy', 'terminal-copy', () => this.copy(), 'Copy the selection'),
      btn('Paste', 'terminal-paste', () => this.pasteFromClipboard(), 'Paste from the clipboard'),
      btn('×', 'terminal-close', () => this.requestClose(), 'Close the terminal'));
    this.dialog = el('div', { class: 'wt-dialog', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'wt-title' },
      head, this.screen, this.statusEl);
    this.root = el('div', { class: 'wt-backdrop', 'data-test': 'terminal' }, this.dialog);
    this.root.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && !ev.defaultPrevented && ev.target.closest('.wt-head')) {
        ev.preventDefault();
        this.requestClose();
      }
    });
    document.body.append(this.root);
  }

  // onKey handles the terminal's own keys before xterm.js does; false
  // means xterm.js ignores the key.
  onKey(ev) {
    if (ev.type !== 'keydown') return true;
    const k = ev.key.toLowerCase();
    if (ev.ctrlKey && ev.shiftKey && k === 'c') {
      ev.preventDefault(); // not the browser's inspector
      this.copy();
      return false;
    }
    if (ev.ctrlKey && ev.shiftKey && k === 'v') {
      return false; // the browser pastes into xterm's textarea
    }
    if (ev.key === 'Escape' && !ev.ctrlKey && !ev.altKey && !ev.metaKey) {
      if (this.state !== 'running' && this.state !== 'connecting' && this.state !== 'reconnecting') {
        ev.preventDefault();
        this.close();
        return false;
      }
      if (window.confirm('Close the terminal? The shell will be ended.')) {
        ev.preventDefault();
        this.close();
        return false;
      }
      return true; // kept open: Escape goes to the shell (vi needs it)
    }
    return true;
  }

  // connect opens a websocket for a new session of the command.
  connect() {
    this.clearTimers();
    this.exitCode = null;
    this.gotExit = false;
    this.reconnectBtn.hidden = true;
    this.setStatus(this.attempts ? `reconnecting… (attempt ${this.attempts})` : 'connecting…',
      this.attempts ? 'reconnecting' : 'connecting');
    // Browsers cannot set headers on a websocket: the ACL token rides in
    // the subprotocol list, which the agent reads like X-Nomad-Token.
    const t = token();
    const url = execURL(this.allocID, this.task, this.command);
    const ws = t ? new WebSocket(url, ['wharf-exec', 'wharf-token.' + t]) : new WebSocket(url);
    this.ws = ws;
    ws.opened = false;
    ws.onopen = () => {
      if (ws !== this.ws) return;
      ws.opened = true;
      this.attempts = 0;
      this.everConnected = true;
      this.setStatus(`connected: ${this.command.join(' ')} in ${this.task || 'the task'}`, 'running');
      this.refit();
      this.sendSize(this.term.rows, this.term.cols);
      this.every(HEARTBEAT_MS, () => this.send({}));
    };
    ws.onmessage = (ev) => {
      if (ws === this.ws) this.onFrame(ev.data);
    };
    ws.onclose = (ev) => {
      if (ws !== this.ws) return;
      if (ws.opened) this.onClose(ev);
      else this.onRefused(ev);
    };
  }

  // onRefused handles a websocket that never opened. Browsers hide the
  // HTTP answer of a failed upgrade, so a plain GET of the same URL asks
  // why: the agent checks the request before upgrading and names the
  // problem (no such allocation, task not running...), which no retry
  // fixes. 426 (the check passed, only the upgrade is missing) or no
  // answer at all is a network problem: retry.
  async onRefused(ev) {
    let res = null;
    try {
      res = await fetch(execURL(this.allocID, this.task, this.command).replace(/^ws/, 'http'), { cache: 'no-store', headers: authHeaders() });
    } catch {
      // unreachable: retry below
    }
    if (this.state === 'closed') return;
    if (res && !res.ok && res.status !== 426 && res.status < 500) {
      const text = (await res.text().catch(() => '')).trim();
      this.failed(`${res.status} ${text || res.statusText}`);
      return;
    }
    this.onClose(ev);
  }

  // failed shows an error no retry fixes and stops.
  failed(reason) {
    this.clearTimers();
    this.setStatus(`error: ${reason}`, 'error');
    this.term.write(`\r\n\x1b[31m${reason}\x1b[0m\r\n`);
    this.reconnectBtn.textContent = 'Reconnect';
    this.reconnectBtn.hidden = false;
  }

  // onFrame handles one output frame.
  onFrame(data) {
    let f;
    try {
      f = JSON.parse(data);
    } catch {
      return;
    }
    if (f.stdout && f.stdout.data) this.term.write(fromBase64(f.stdout.data));
    if (f.stderr && f.stderr.data) this.term.write(fromBase64(f.stderr.data));
    if (f.exited) {
      this.gotExit = true;
      this.exitCode = f.result && typeof f.result.exit_code === 'number' ? f.result.exit_code : 0;
      this.clearTimers();
      this.setStatus(`exit code ${this.exitCode}`, 'exited');
      this.reconnectBtn.textContent = 'Restart';
      this.reconnectBtn.hidden = false;
      this.ws.close();
    }
  }

  // onClose decides what a closed websocket means: the end after an exit
  // frame, an error the server named, or a network blip to recover from.
  onClose(ev) {
    this.clearTimers();
    if (this.gotExit || this.state === 'closed') return;
    if (ev.code === 1011 || ev.code === 1003 || ev.code === 1008) {
      this.failed(ev.reason || 'the exec session failed');
      return;
    }
    if (this.attempts >= MAX_RECONNECTS) {
      this.setStatus('disconnected: the agent cannot be reached', 'error');
      this.reconnectBtn.textContent = 'Reconnect';
      this.reconnectBtn.hidden = false;
      return;
    }
    if (this.everConnected && this.attempts === 0) {
      this.term.write('\r\n\x1b[33m[connection lost; the old shell is gone, starting a new one]\x1b[0m\r\n');
    }
    const delay = RECONNECT_DELAYS_MS[Math.min(this.attempts, RECONNECT_DELAYS_MS.length - 1)];
    this.attempts++;
    this.setStatus(`reconnecting… (attempt ${this.attempts})`, 'reconnecting');
    this.after(delay, () => this.connect());
  }

  // restart starts a new session after an exit or an error.
  restart() {
    this.attempts = 0;
    if (this.ws) this.ws.close();
    this.ws = null;
    this.term.write('\r\n');
    this.connect();
    this.term.focus();
  }

  send(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  sendStdin(b64) {
    if (this.state === 'running') this.send({ stdin: { data: b64 } });
  }

  sendSize(rows, cols) {
    this.send({ tty_size: { height: rows, width: cols } });
  }

  // refit sizes the terminal to its box; onResize tells the shell.
  refit() {
    if (this.state === 'closed' || !this.screen.clientWidth) return;
    try {
      this.fit.fit();
    } catch {
      // not laid out yet
    }
  }

  setStatus(text, state) {
    this.state = state;
    this.statusEl.textContent = text;
    this.statusEl.dataset.state = state;
  }

  // copy puts the selection on the clipboard.
  copy() {
    const text = this.term.getSelection();
    if (!text) return;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).catch(() => legacyCopy(text));
    } else {
      legacyCopy(text);
    }
    this.term.focus();
  }

  // pasteFromClipboard pastes the clipboard's text (where the browser
  // allows reading it; Ctrl+Shift+V and the context menu always work).
  pasteFromClipboard() {
    if (!navigator.clipboard || !navigator.clipboard.readText) {
      this.term.focus();
      return;
    }
    navigator.clipboard.readText().then((t) => this.term.paste(t), () => {}).finally(() => this.term.focus());
  }

  requestClose() {
    const live = this.state === 'running' || this.state === 'reconnecting' || this.state === 'connecting';
    if (live && !window.confirm('Close the terminal? The shell will be ended.')) return;
    this.close();
  }

  // close ends the session (the agent kills the shell) and removes the
  // overlay.
  close() {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.clearTimers();
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close();
    window.removeEventListener('resize', this.onWindowResize);
    this.observer.disconnect();
    this.term.dispose();
    this.root.remove();
    if (api.current === this) api.current = null;
    if (this.returnFocus && this.returnFocus.focus) this.returnFocus.focus();
  }

  // text returns the terminal buffer's lines, trailing blanks trimmed.
  text() {
    const b = this.term.buffer.active;
    const lines = [];
    for (let i = 0; i < b.length; i++) lines.push(b.getLine(i).translateToString(true));
    return lines.join('\n').replace(/\s+$/, '');
  }

  every(ms, fn) {
    const id = setInterval(fn, ms);
    this.timers.add(() => clearInterval(id));
  }

  after(ms, fn) {
    const id = setTimeout(fn, ms);
    this.timers.add(() => clearTimeout(id));
  }

  clearTimers() {
    for (const stop of this.timers) stop();
    this.timers.clear();
  }
}

// legacyCopy copies through a hidden textarea where the async clipboard
// API is unavailable (plain http on a non-local host).
function legacyCopy(text) {
  const ta = el('textarea', { class: 'wt-offscreen', 'aria-hidden': 'true' });
  ta.value = text;
  document.body.append(ta);
  ta.select();
  try {
    document.execCommand('copy');
  } finally {
    ta.remove();
  }
}

// open shows a terminal running opts.command (default ["/bin/sh"]) in
// task opts.task of allocation opts.allocID, replacing an open one. It
// resolves to the session.
async function open(opts) {
  if (!opts || !opts.allocID) throw new Error('wharfTerminal.open: allocID is required');
  const lib = await loadLibs();
  if (api.current) api.current.close();
  api.current = new Session(opts, lib);
  return api.current;
}

const api = { open, current: null };
window.wharfTerminal = api;

export { open };
export default api;
