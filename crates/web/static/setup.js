// First sign-in: choose a password, then enrol an authenticator (QR code
// shown from a blob URL: no inline SVG), then show the recovery codes once.
import { api, $, el, formError, wireSignOut } from './api.js';

wireSignOut();
const root = $('#setup');
const params = new URLSearchParams(location.search);
const needPassword = root.dataset.password === 'true';
const needMfa = root.dataset.mfa === 'true' || params.get('mfa') === '1';
let enrolment = '';

function show(id) {
  for (const f of ['#new-password', '#enrol', '#confirm', '#codes']) $(f).hidden = f !== id;
  const first = $(id).querySelector('input');
  if (first) first.focus();
}

$('#new-password').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  formError(ev.target);
  try {
    await api('POST', '/auth/password', { current_password: $('#current').value, new_password: $('#fresh').value });
    if (needMfa) show('#enrol'); else location.assign('/');
  } catch (e) { formError(ev.target, e); }
});

$('#enrol').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  formError(ev.target);
  try {
    const r = await api('POST', '/auth/mfa/totp', { password: $('#enrol-password').value });
    enrolment = r.enrolment;
    const url = URL.createObjectURL(new Blob([r.qr_svg], { type: 'image/svg+xml' }));
    $('#qr').src = url;
    $('#secret').textContent = r.secret;
    show('#confirm');
  } catch (e) { formError(ev.target, e); }
});

$('#confirm').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  formError(ev.target);
  try {
    const r = await api('POST', '/auth/mfa/totp/confirm', { enrolment, code: $('#first-code').value.trim() });
    const list = $('#code-list');
    list.replaceChildren(...r.recovery_codes.map((c) => el('li', {}, el('code', { text: c }))));
    show('#codes');
  } catch (e) { formError(ev.target, e); }
});

if (!needPassword && !needMfa) location.replace('/'); // nothing to set up
else show(needPassword ? '#new-password' : '#enrol');
