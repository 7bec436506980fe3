// Accept an invitation: the code is in the fragment (#code), which browsers
// never send to the server except in this request's JSON body.
import { api, $, formError } from './api.js';

const code = decodeURIComponent(location.hash.slice(1));
const form = $('#invite');
if (!code) formError(form, new Error('This link has no invitation code. Ask for a new invitation.'));
form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  formError(form);
  try {
    await api('POST', '/auth/invites/accept', { code, email: $('#inv-email').value.trim(), password: $('#inv-password').value });
    location.assign('/login');
  } catch (e) { formError(form, e); }
});
