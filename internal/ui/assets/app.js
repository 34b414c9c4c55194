// app.js: the router (History API under /ui/), navigation, keyboard
// shortcuts. Each page is a module with render({root, params, query,
// signal}); the signal aborts when the page changes, ending its loops.

import { h, fill, errorBox } from './dom.js';
import { initTokenDialog } from './token.js';

const routes = [
  [/^\/ui\/?$/, 'jobs', './jobs.js'],
  [/^\/ui\/jobs\/?$/, 'jobs', './jobs.js'],
  [/^\/ui\/run\/?$/, 'jobs', './editor.js'],
  [/^\/ui\/jobs\/([^/]+)\/edit\/?$/, 'jobs', './editor.js', ['id']],
  [/^\/ui\/jobs\/([^/]+)\/?$/, 'jobs', './job.js', ['id']],
  [/^\/ui\/allocations\/([^/]+)\/?$/, 'jobs', './alloc.js', ['id']],
  [/^\/ui\/nodes\/?$/, 'nodes', './nodes.js'],
  [/^\/ui\/nodes\/([^/]+)\/?$/, 'nodes', './node.js', ['id']],
  [/^\/ui\/services\/?$/, 'services', './services.js'],
  [/^\/ui\/services\/([^/]+)\/?$/, 'services', './service.js', ['name']],
  [/^\/ui\/ingress\/?$/, 'ingress', './ingress.js'],
];

const main = document.getElementById('main');
let current = null;

/** match finds the route of a path. */
function match(path) {
  for (const [re, nav, mod, names = []] of routes) {
    const m = re.exec(path);
    if (m) {
      const params = {};
      names.forEach((n, i) => { params[n] = decodeURIComponent(m[i + 1]); });
      return { nav, mod, params };
    }
  }
  return null;
}

/** render shows the page of the current URL, ending the previous one. */
async function render(focus) {
  current?.abort();
  const ctrl = new AbortController();
  current = ctrl;
  const route = match(location.pathname);
  for (const a of document.querySelectorAll('nav a[data-nav]')) {
    if (route && a.dataset.nav === route.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!route) {
    document.title = 'Not found · wharf';
    fill(main, h('h1', {}, 'Not found'), h('p', {}, 'No page at ', h('code', {}, location.pathname), '. ',
      h('a', { href: '/ui/jobs' }, 'Go to the jobs list.')));
    return;
  }
  const root = h('div', { class: 'page' });
  fill(main, root);
  try {
    const page = await import(route.mod);
    if (ctrl.signal.aborted) return;
    await page.render({ root, params: route.params, query: new URLSearchParams(location.search), signal: ctrl.signal });
  } catch (e) {
    if (!ctrl.signal.aborted) fill(root, h('h1', {}, 'This page failed'), errorBox(e));
  }
  if (focus) main.focus({ preventScroll: true });
}

/** navigate goes to an in-app URL without reloading. */
export function navigate(url, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  window.scrollTo(0, 0);
  render(true);
}
window.wharfNavigate = navigate;

document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest('a[href]');
  if (!a || a.target || a.hasAttribute('download')) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith('/ui/') || url.pathname.startsWith('/ui/api/')) return;
  if (url.pathname === location.pathname && url.search === location.search && url.hash) return;
  e.preventDefault();
  navigate(url.pathname + url.search + url.hash);
});
window.addEventListener('popstate', () => render(true));

const goKeys = { j: '/ui/jobs', n: '/ui/nodes', s: '/ui/services', i: '/ui/ingress' };
let pendingG = 0;

function typing(el) {
  return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) || el.closest?.('.xterm, [data-terminal]'));
}

document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && typing(document.activeElement) && !document.activeElement.closest('.xterm, [data-terminal]')) {
    document.activeElement.blur();
    return;
  }
  if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
  if (pendingG && Date.now() - pendingG < 1500 && goKeys[e.key]) {
    pendingG = 0;
    e.preventDefault();
    navigate(goKeys[e.key]);
    return;
  }
  pendingG = e.key === 'g' ? Date.now() : 0;
  if (e.key === '/') {
    const s = document.querySelector('[data-search]');
    if (s) { e.preventDefault(); s.focus(); s.select(); }
  } else if (e.key === '?') {
    e.preventDefault();
    showHelp();
  }
});

function showHelp() {
  const d = document.getElementById('shortcuts');
  if (!d.open) d.showModal();
}
document.getElementById('help-btn').addEventListener('click', showHelp);
initTokenDialog(() => render(false));

render(false);
