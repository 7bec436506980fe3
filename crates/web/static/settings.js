// Settings: password, authenticator state, sessions, API tokens.
import { api, $, el, formError, toast, wireSignOut, dateTime } from './api.js';

wireSignOut();

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
}

async function sessions() {
  const { items } = await api('GET', '/auth/sessions');
  $('#session-list').replaceChildren(...items.map((s) => el('li', {},
    el('span', {}, `${s.client || 'Unknown device'} — last seen ${dateTime(s.last_seen_at * 1000)}`, s.current ? ' (this one)' : ''),
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

me().catch((e) => toast(e.message));
sessions().catch(() => {});
tokens().catch(() => {});
