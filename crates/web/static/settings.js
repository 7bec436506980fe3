// Settings: display name, password, authenticator state, sessions, API tokens.
import { api, $, el, formError, toast, wireSignOut, dateTime, bytes } from './api.js';

wireSignOut();

$('#profile-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  formError(ev.target);
  try {
    const p = await api('PUT', '/profile', { display_name: $('#display-name').value.trim() });
    $('#display-name').value = p.display_name ?? '';
    toast('Name saved');
  } catch (e) { formError(ev.target, e); }
});
api('GET', '/profile').then((p) => { $('#display-name').value = p.display_name ?? ''; }).catch(() => {});

$('#password-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  formError(ev.target);
  try {
    const r = await api('POST', '/auth/password', { current_password: $('#pw-current').value, new_password: $('#pw-new').value });
    ev.target.reset();
    toast(`Password changed${r.other_sessions_ended ? `; ${r.other_sessions_ended} other session(s) signed out` : ''}`);
    sessions();
  } catch (e) { formError(ev.target, e); }
});

async function me() {
  const m = await api('GET', '/auth/me');
  $('#mfa-state').textContent = m.mfa_enrolled
    ? 'An authenticator app is set up. Setting up a new one replaces it and gives new recovery codes.'
    : 'No authenticator yet: your account is protected by its password only.';
  $('#mfa-enrol').textContent = m.mfa_enrolled ? 'Replace the authenticator' : 'Set up an authenticator';
  $('#dpo').textContent = `Questions about your data: ${m.data_protection_officer}.`;
}

/** "Chrome on Linux" from a user-agent string (the raw one is kept as a
 * tooltip); programs keep their own names ("pixelunion-cli 0.1"). */
export function device(ua) {
  if (!ua) return 'Unknown device';
  const browser = [
    [/Edg\//, 'Edge'], [/OPR\/|Opera/, 'Opera'], [/Firefox\//, 'Firefox'], [/SamsungBrowser/, 'Samsung Internet'],
    [/Chrome\/|Chromium\/|CriOS/, 'Chrome'], [/Safari\//, 'Safari'],
  ].find(([re]) => re.test(ua))?.[1];
  const os = [
    [/iPhone|iPad|iPod/, 'iOS'], [/Android/, 'Android'], [/Windows/, 'Windows'], [/Mac OS X|Macintosh/, 'macOS'],
    [/CrOS/, 'ChromeOS'], [/Linux/, 'Linux'],
  ].find(([re]) => re.test(ua))?.[1];
  if (browser && os) return `${browser} on ${os}`;
  if (browser || os) return browser ?? `Browser on ${os}`;
  return ua.split(/[\s(]/)[0].slice(0, 40) || 'Unknown device';
}

async function sessions() {
  const { items } = await api('GET', '/auth/sessions');
  $('#session-list').replaceChildren(...items.map((s) => el('li', {},
    el('span', { title: s.client ?? '' }, `${device(s.client)} — last seen ${dateTime(s.last_seen_at * 1000)}`, s.current ? ' (this one)' : ''),
    s.current ? null : el('button', { type: 'button', text: 'Sign out', onclick: async () => {
      try { await api('DELETE', `/auth/sessions/${s.id}`); sessions(); } catch (e) { toast(e.message); }
    } }))));
}
$('#revoke-others').addEventListener('click', async () => {
  try { await api('POST', '/auth/sessions/revoke-others'); toast('Signed out everywhere else'); sessions(); } catch (e) { toast(e.message); }
});

async function tokens() {
  const { items } = await api('GET', '/auth/tokens');
  $('#token-list').replaceChildren(...items.map((t) => el('li', {},
    el('span', {}, `${t.name ?? 'Token'} · ${t.scope} · expires ${dateTime(t.expires_at * 1000, { dateStyle: 'medium' })}`),
    el('button', { type: 'button', text: 'Revoke', onclick: async () => {
      try { await api('DELETE', `/auth/tokens/${t.id}`); tokens(); } catch (e) { toast(e.message); }
    } }))));
}
$('#token-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  try {
    const r = await api('POST', '/auth/tokens', { name: $('#token-name').value.trim(), scope: $('#token-scope').value });
    const p = $('#token-new');
    p.hidden = false;
    p.textContent = `Copy this token now — it is not shown again: ${r.token}`;
    ev.target.reset();
    tokens();
  } catch (e) { toast(e.message); }
});

async function usage() {
  const p = $('#usage');
  if (!p) return;
  const u = await api('GET', '/library/usage');
  const items = `${u.assets} item${u.assets === 1 ? '' : 's'}`;
  if (u.quota_bytes) {
    const pct = Math.min(100, (u.bytes / u.quota_bytes) * 100);
    p.textContent = `${bytes(u.bytes)} of ${bytes(u.quota_bytes)} used (${pct.toFixed(0)} %) by ${items}, the trash included.`;
    const bar = $('#usage-bar');
    bar.hidden = false;
    bar.value = pct;
  } else {
    p.textContent = `${bytes(u.bytes)} used by ${items}, the trash included. No quota is set.`;
  }
}

const EVENT_NAMES = {
  login: 'Signed in', 'login.mfa': 'Authenticator code', 'login.recovery-code': 'Signed in with a recovery code',
  'password.change': 'Password changed', 'session.revoke': 'Session ended', 'token.revoke': 'API token revoked',
  'account.access-report': 'Account data downloaded', 'export.create': 'Export asked for', 'export.ready': 'Export ready',
  'export.download': 'Export downloaded', reauth: 'Password confirmation', signup: 'Account created',
};

async function securityEvents() {
  const { items } = await api('GET', '/auth/security-events');
  $('#security-events').replaceChildren(...items.slice(0, 30).map((e) => el('li', {},
    el('span', { title: e.client ?? '' },
      `${EVENT_NAMES[e.action] ?? e.action}${e.outcome === 'success' ? '' : ` (${e.outcome})`}`,
      e.by === 'staff' ? ' — by an administrator' : '',
      e.client ? ` — ${device(e.client.split(' · ')[1] ?? '')}, ${e.client.split(' · ')[0]}` : ''),
    el('time', {}, dateTime(e.at * 1000)))));
  if (!items.length) $('#security-events').replaceChildren(el('li', {}, 'Nothing yet.'));
}

let exportTimer = null;
async function exports() {
  const list = $('#export-list');
  if (!list) return;
  const { items } = await api('GET', '/exports');
  list.replaceChildren(...items.map((x) => el('li', { 'data-state': x.state },
    el('span', {}, x.state === 'ready'
      ? `Export of ${dateTime(x.created_at)} — ${x.entries} items, ${bytes(x.archive_bytes)}; kept until ${dateTime(x.expires_at, { dateStyle: 'medium' })}`
      : x.state === 'preparing'
        ? `Preparing… ${x.done} of ${x.entries} items read`
        : `Failed: ${x.error ?? 'unknown reason'}`),
    x.download ? el('a', { class: 'button', href: x.download, download: '', text: 'Download' }) : null,
    el('button', { type: 'button', text: 'Delete', onclick: async () => {
      try { await api('DELETE', `/exports/${x.id}`); exports(); } catch (e) { toast(e.message); }
    } }))));
  clearTimeout(exportTimer);
  if (items.some((x) => x.state === 'preparing')) exportTimer = setTimeout(() => exports().catch(() => {}), 1000);
}
$('#export-start')?.addEventListener('click', async () => {
  try { await api('POST', '/exports'); toast('Preparing your export'); exports(); } catch (e) { toast(e.message); }
});

$('#access-report').addEventListener('click', async () => {
  try {
    const r = await api('GET', '/auth/account/data');
    const a = el('a', { href: URL.createObjectURL(new Blob([JSON.stringify(r, null, 2)], { type: 'application/json' })), download: 'pixelunion-account-data.json' });
    document.body.append(a);
    a.click();
    a.remove();
  } catch (e) { toast(e.message); }
});

$('#delete-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  formError(ev.target);
  const code = $('#del-code').value.trim();
  try {
    const r = await api('POST', '/auth/account/delete', {
      password: $('#del-password').value, confirm: $('#del-confirm').value, ...(code ? { totp: code } : {}),
    });
    sessionStorage.setItem('pu-deleted', String(r.purge_after));
    location.assign('/login?deleted=1');
  } catch (e) { formError(ev.target, e); }
});

async function alerts() {
  const box = $('#alerts');
  box.checked = (await api('GET', '/auth/sign-in-alerts')).enabled;
  box.addEventListener('change', async () => {
    try {
      await api('PUT', '/auth/sign-in-alerts', { enabled: box.checked });
      toast(box.checked ? 'You will get an e-mail when a new device signs in' : 'No more e-mails about new devices');
    } catch (e) { box.checked = !box.checked; toast(e.message); }
  });
}

me().catch((e) => toast(e.message));
alerts().catch(() => {});
securityEvents().catch(() => {});
exports().catch(() => {});
usage().catch((e) => { $('#usage').textContent = e.message; });
sessions().catch(() => {});
tokens().catch(() => {});
