// token.js: the ACL token the UI sends with every API request. It is kept
// in the browser's session storage (gone when the tab closes), never in a
// cookie, and set through the Token dialog.

const key = 'wharf.token';

/** token returns the ACL token's secret, '' when none is set. */
export function token() {
  try {
    return sessionStorage.getItem(key) || '';
  } catch {
    return '';
  }
}

/** authHeaders returns the headers that carry the token. */
export function authHeaders() {
  const t = token();
  return t ? { 'X-Nomad-Token': t } : {};
}

/** setToken keeps secret for this tab ('' forgets it). */
export function setToken(secret) {
  if (secret) sessionStorage.setItem(key, secret);
  else sessionStorage.removeItem(key);
}

/** initTokenDialog wires the Token button and its dialog. */
export function initTokenDialog(onChange) {
  const btn = document.getElementById('token-btn');
  const dialog = document.getElementById('token-dialog');
  const input = document.getElementById('token-input');
  const state = document.getElementById('token-state');
  const show = () => {
    state.textContent = token() ? 'A token is set for this tab.' : 'No token is set: requests are anonymous.';
    btn.classList.toggle('has-token', !!token());
  };
  btn.addEventListener('click', () => { input.value = ''; show(); dialog.showModal(); input.focus(); });
  dialog.addEventListener('close', () => {
    if (dialog.returnValue === 'save' && input.value.trim()) setToken(input.value.trim());
    if (dialog.returnValue === 'clear') setToken('');
    input.value = '';
    show();
    if (dialog.returnValue === 'save' || dialog.returnValue === 'clear') onChange();
  });
  show();
}
