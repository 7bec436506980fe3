// E-mail recovery: without a code, ask for a link; with the link's code in
// the fragment (#code: browsers never send it to the server except in this
// page's JSON bodies), set a new password or cancel the recovery.
import { api, $, formError } from './api.js';

const code = decodeURIComponent(location.hash.slice(1));
const ask = $('#recover-ask');
const set = $('#recover-set');
const done = (text) => { ask.hidden = true; set.hidden = true; $('#recover-done').textContent = text; };

if (code) {
  ask.hidden = true;
  set.hidden = false;
}
ask.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  formError(ask);
  try {
    const r = await api('POST', '/auth/recovery', { email: $('#rec-email').value.trim() });
    done(r.message);
  } catch (e) { formError(ask, e); }
});
set.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  formError(set);
  try {
    await api('POST', '/auth/recovery/complete', { code, new_password: $('#rec-password').value });
    done('Your new password is set and every session was signed out. Sign in again.');
  } catch (e) { formError(set, e); }
});
$('#recover-cancel').addEventListener('click', async () => {
  formError(set);
  try {
    await api('POST', '/auth/recovery/cancel', { code });
    done('The recovery is cancelled; your password stays as it was.');
  } catch (e) { formError(set, e); }
});
