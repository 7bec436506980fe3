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
/** A short message at the bottom of the screen (announced to screen
 * readers), optionally with one action button (e.g. Undo) that stays a
 * little longer. */
export function toast(msg, action) {
  const t = $('#toast');
  if (!t) return;
  t.replaceChildren(el('span', { text: msg }));
  t.classList.toggle('actionable', !!action);
  if (action) {
    const b = el('button', { type: 'button', text: action.label });
    b.addEventListener('click', () => { t.classList.remove('show'); action.run(); }, { once: true });
    t.append(b);
  }
  t.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => t.classList.remove('show'), action ? 8000 : 3500);
}

/** Whether the server has been sealed since this page loaded: then the
 * page reloads into the locked page instead of failing silently. */
export async function checkSealed() {
  try {
    const s = await (await fetch('/api/v1/sys/status', { credentials: 'same-origin' })).json();
    if (s.sealed) { location.reload(); return true; }
  } catch { /* unreachable: the next action tells */ }
  return false;
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

/** When an item was taken, as the clock read where it was taken: a Date
 * whose UTC fields are that local wall-clock time (format it with
 * `timeZone: 'UTC'`), and the UTC offset in minutes when the camera
 * recorded one. A capture time without an offset is already local time.
 * Items without a capture time use the upload time in the viewer's zone. */
export function wallClock(a) {
  if (a.taken_at != null) {
    const offset = a.metadata?.offset_minutes ?? null;
    return { date: new Date(a.taken_at + (offset ?? 0) * 60000), zone: 'UTC', offset };
  }
  const t = a.sort_at ?? a.uploaded_at;
  const d = new Date(t);
  // shift so that the UTC fields read the viewer's local time
  return { date: new Date(t - d.getTimezoneOffset() * 60000), zone: 'UTC', offset: null, uploaded: a.taken_at == null };
}

/** Formats `wallClock(a)` with Intl options (always in its own zone). */
export function formatWall(w, opts) {
  return new Intl.DateTimeFormat(undefined, { ...opts, timeZone: w.zone }).format(w.date);
}

/** `UTC+02:00` for an offset in minutes. */
export function utcOffset(min) {
  const sign = min < 0 ? '−' : '+';
  const m = Math.abs(min);
  return `UTC${sign}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/** Copies text to the clipboard; says so (or how to copy by hand). */
export async function copyText(text, what = 'Copied') {
  try {
    await navigator.clipboard.writeText(text);
    toast(what);
  } catch {
    toast('Copying is not allowed here: select the text and copy it by hand');
  }
}

/** Wires what every signed-in page has: the header's sign-out button, the
 * `?` list of keyboard shortcuts, and the locked page once the server is
 * sealed (checked when the tab comes back and every 30 s). */
export function wireSignOut() {
  const b = $('#sign-out');
  if (!b) return;
  b.addEventListener('click', async () => {
    try { await api('POST', '/auth/logout'); } catch { /* signed out anyway */ }
    location.assign('/login');
  });
  const help = $('#shortcuts');
  addEventListener('keydown', (e) => {
    if (e.key !== '?' || !help || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLSelectElement) return;
    e.preventDefault();
    if (help.open) help.close(); else help.showModal();
  });
  $('#help-button')?.addEventListener('click', () => help?.showModal());
  document.addEventListener('visibilitychange', () => { if (!document.hidden) checkSealed(); });
  setInterval(() => { if (!document.hidden) checkSealed(); }, 30000);
}
