// First sign-in: choose a password, then enrol an authenticator (QR code
// shown from a blob URL: no inline SVG), then show the recovery codes once,
// with copy, download and print, and an "I have saved them" step. The new
// password stays in this page's memory for the enrolment, so it is typed
// once here.
import { api, $, el, formError, wireSignOut, copyText } from './api.js';

wireSignOut();
const root = $('#setup');
const params = new URLSearchParams(location.search);
const needPassword = root.dataset.password === 'true';
const needMfa = root.dataset.mfa === 'true' || params.get('mfa') === '1';
let enrolment = '';
let codes = [];

function show(id) {
  for (const f of ['#new-password', '#enrol', '#confirm', '#codes']) $(f).hidden = f !== id;
  const first = $(id).querySelector('input:not([type=checkbox])');
  if (first) first.focus();
}

/** Starts the enrolment with `password`; shows the QR code. */
async function enrol(password) {
  const r = await api('POST', '/auth/mfa/totp', { password });
  enrolment = r.enrolment;
  $('#qr').src = URL.createObjectURL(new Blob([r.qr_svg], { type: 'image/svg+xml' }));
  // groups of four that never break inside
  const secret = $('#secret');
  secret.dataset.key = r.secret;
  secret.replaceChildren(...r.secret.match(/.{1,4}/g).flatMap((g, i) => [i ? ' ' : '', el('span', { text: g })]));
  show('#confirm');
}

$('#new-password').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  formError(ev.target);
  const fresh = $('#fresh').value;
  if (fresh.length < 12) { formError(ev.target, new Error('The new password needs at least 12 characters.')); return; }
  try {
    await api('POST', '/auth/password', { current_password: $('#current').value, new_password: fresh });
    if (!needMfa) { location.assign('/'); return; }
    try { await enrol(fresh); } catch (e) { show('#enrol'); formError($('#enrol'), e); }
  } catch (e) { formError(ev.target, e); }
});

$('#enrol').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  formError(ev.target);
  try { await enrol($('#enrol-password').value); } catch (e) { formError(ev.target, e); }
});

$('#copy-secret').addEventListener('click', () => copyText($('#secret').dataset.key, 'Key copied'));

$('#confirm').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  formError(ev.target);
  try {
    const r = await api('POST', '/auth/mfa/totp/confirm', { enrolment, code: $('#first-code').value.trim() });
    codes = r.recovery_codes;
    $('#code-list').replaceChildren(...codes.map((c) => el('li', {}, el('code', { text: c }))));
    show('#codes');
  } catch (e) { formError(ev.target, e); }
});

const codesText = () => `PixelUnion recovery codes for ${$('.email')?.textContent ?? 'your account'} (${location.host})\nEach works once.\n\n${codes.join('\n')}\n`;
$('#codes-copy').addEventListener('click', () => copyText(codesText(), 'Recovery codes copied'));
$('#codes-download').addEventListener('click', () => {
  const a = el('a', { href: URL.createObjectURL(new Blob([codesText()], { type: 'text/plain' })), download: 'pixelunion-recovery-codes.txt' });
  document.body.append(a);
  a.click();
  a.remove();
});
$('#codes-print').addEventListener('click', () => print());
$('#codes-saved').addEventListener('change', (ev) => { $('#codes-done').disabled = !ev.target.checked; });
$('#codes-done').addEventListener('click', () => location.assign('/'));

if (!needPassword && !needMfa) location.replace('/'); // nothing to set up
else show(needPassword ? '#new-password' : '#enrol');
