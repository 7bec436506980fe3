// Sign-in: password first; when the account has an authenticator the
// server answers `mfa-required` and the code step appears. Afterwards the
// person lands on the page they asked for (`?next=`, a path on this site).
import { api, $ } from './api.js';

const form = $('#login');
const err = $('#login-error');
let needCode = false;

if (new URLSearchParams(location.search).get('deleted') === '1') {
  const until = Number(sessionStorage.getItem('pu-deleted'));
  err.textContent = `Your account is closed${until ? ` and will be deleted for good on ${new Date(until * 1000).toLocaleString()}` : ''}. An administrator can still stop it until then.`;
}

/** Where to go after signing in: only a path on this site. */
export function nextPage(search) {
  const next = new URLSearchParams(search).get('next') ?? '/';
  return /^\/(?![/\\])/.test(next) ? next : '/';
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  err.textContent = '';
  const body = { email: $('#email').value.trim(), password: $('#password').value };
  if (needCode) {
    const rec = $('#recovery').value.trim();
    if (rec) body.recovery_code = rec; else body.totp = $('#totp').value.trim();
  }
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    await api('POST', '/auth/login', body);
    location.assign(nextPage(location.search));
  } catch (e) {
    if (e.code === 'mfa-required' && !needCode) {
      needCode = true;
      $('#step-code').hidden = false;
      $('#totp').focus();
    } else {
      err.textContent = e.code === 'invalid-credentials'
        ? 'That e-mail and password do not match an account (or the code is wrong).'
        : e.message;
      if (needCode) $('#totp').select();
    }
  } finally {
    button.disabled = false;
  }
});
