// Shared helpers: the JSON API with the session cookie and CSRF header,
// human error messages, small DOM helpers (text nodes only, never markup).

const meta = document.querySelector('meta[name="csrf-token"]');
export const csrf = meta ? meta.content : '';

/** An API failure carrying the server's code and human message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Calls the JSON API; resolves to the parsed body, rejects with ApiError. */
export async function api(method, path, body) {
  const headers = { 'x-csrf-token': csrf };
  const init = { method, headers, credentials: 'same-origin' };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch('/api/v1' + path, init);
  } catch {
    throw new ApiError(0, 'network', 'The server cannot be reached. Check your connection and try again.');
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok) {
    if (res.status === 503 && data?.error?.code === 'sealed') {
      location.reload();
    }
    if (res.status === 401 && !path.startsWith('/auth/login')) {
      location.assign('/login');
    }
    const e = data?.error;
    throw new ApiError(res.status, e?.code ?? 'error', e?.message ?? `The server answered ${res.status}.`);
  }
  return data;
}

/** Creates an element with attributes and children (strings become text). */
export function el(tag, attrs = {}, ...children) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === 'class') n.className = v;
    else if (k === 'text') n.textContent = v;
    else if (k.startsWith('on')) n.addEventListener(k.slice(2), v);
    else n.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    n.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return n;
}

export const $ = (sel, root = document) => root.querySelector(sel);

let toastTimer;
/** A short message at the bottom of the screen (announced to screen readers). */
export function toast(msg) {
  const t = $('#toast');
  if (!t) return;
  t.textContent = msg;
  t.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => t.classList.remove('show'), 3500);
}

/** Shows an error in a form's `.error` element. */
export function formError(form, err) {
  const p = form.querySelector('.error');
  if (p) p.textContent = err ? (err.message || String(err)) : '';
}

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  const u = ['KB', 'MB', 'GB', 'TB'];
  let i = -1;
  do { n /= 1024; i++; } while (n >= 1024 && i < u.length - 1);
  return `${n.toFixed(n < 10 ? 1 : 0)} ${u[i]}`;
}

export function dateTime(ms, opts = { dateStyle: 'medium', timeStyle: 'short' }) {
  return ms == null ? '' : new Intl.DateTimeFormat(undefined, opts).format(new Date(ms));
}

/** Wires the header's sign-out button. */
export function wireSignOut() {
  const b = $('#sign-out');
  if (!b) return;
  b.addEventListener('click', async () => {
    try { await api('POST', '/auth/logout'); } catch { /* signed out anyway */ }
    location.assign('/login');
  });
}
