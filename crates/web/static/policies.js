// The policies page: a signed-in reader records having read the versions
// shown (the notice on every page then goes away).
import { api, $, toast, wireSignOut } from './api.js';

wireSignOut();
const read = $('#policies-read');
if (read) read.addEventListener('click', async () => {
  read.disabled = true;
  try {
    for (const s of document.querySelectorAll('section.policy')) {
      await api('POST', '/auth/policies/seen', { kind: s.dataset.kind, version: Number(s.dataset.version) });
    }
    document.getElementById('policy-notice')?.remove();
    toast('Thank you — recorded');
  } catch (e) { toast(e.message); read.disabled = false; }
});
