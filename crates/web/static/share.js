// The share dialog: people an album is shared with (viewer or contributor),
// and public links to an album or a selection (copy, views, revoke).
import { api, $, el, toast, dateTime } from './api.js';

const dialog = () => $('#share-dialog');
let target = null;   // { album } or { assetIds }

/** A link's address: the token stays in the fragment (never sent to a server). */
export const linkUrl = (token) => `${location.origin}/s#${token}`;

function showError(e) { $('#share-error').textContent = e ? e.message : ''; }

async function loadShares() {
  const list = $('#share-list');
  if (!target.album) { list.replaceChildren(); return; }
  const { items } = await api('GET', `/albums/${encodeURIComponent(target.album)}/shares`);
  list.replaceChildren(...items.map((sh) => el('li', {},
    el('span', { class: 'who', text: sh.email ?? '(unreadable)' }),
    el('span', { class: 'role', text: sh.role === 'contributor' ? 'can add photos' : 'can view' }),
    el('button', {
      type: 'button',
      'aria-label': `Stop sharing with ${sh.email}`,
      onclick: async () => {
        try {
          await api('DELETE', `/albums/${encodeURIComponent(target.album)}/shares/${encodeURIComponent(sh.id)}`);
          toast(`No longer shared with ${sh.email}`);
          await loadShares();
        } catch (e) { showError(e); }
      },
    }, 'Stop sharing'))));
}

async function loadLinks() {
  const { items } = await api('GET', '/links');
  const mine = items.filter((l) => (target.album ? l.album_id === target.album : false));
  $('#link-list').replaceChildren(...mine.map((l) => {
    const url = l.token ? linkUrl(l.token) : '';
    const facts = [
      `${l.views} view${l.views === 1 ? '' : 's'}`,
      l.has_password ? 'password' : null,
      l.allow_download ? 'downloads allowed' : 'no downloads',
      l.keep_metadata ? 'with place and dates' : 'no place or dates',
      l.expires_at ? `until ${dateTime(l.expires_at)}` : null,
    ].filter(Boolean).join(' · ');
    return el('li', { 'data-link': l.id },
      el('input', { class: 'link-url', readonly: true, value: url, 'aria-label': 'Link address' }),
      el('button', { type: 'button', onclick: () => copy(url) }, 'Copy'),
      el('span', { class: 'facts', text: facts }),
      el('button', {
        type: 'button',
        onclick: async () => {
          try { await api('DELETE', `/links/${encodeURIComponent(l.id)}`); toast('Link revoked'); await loadLinks(); } catch (e) { showError(e); }
        },
      }, 'Revoke'));
  }));
}

async function copy(url) {
  try { await navigator.clipboard.writeText(url); toast('Link copied'); } catch { toast(url); }
}

/** Opens the dialog for album `album` (its people and links), or for a
 * selection `assetIds` (a new link only). */
export async function openShare({ album, assetIds }) {
  target = { album, assetIds };
  showError(null);
  $('#share-people').hidden = !album;
  $('#share-title').textContent = album ? 'Share album' : `Share ${assetIds.length} item${assetIds.length === 1 ? '' : 's'}`;
  $('#link-list').replaceChildren();
  dialog().showModal();
  try { await Promise.all([loadShares(), loadLinks()]); } catch (e) { showError(e); }
}

export function wireShareDialog() {
  $('#share-close').addEventListener('click', () => dialog().close());
  $('#share-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showError(null);
    const email = $('#share-email').value.trim();
    try {
      await api('POST', `/albums/${encodeURIComponent(target.album)}/shares`, { email, role: $('#share-role').value });
      $('#share-email').value = '';
      toast(`Shared with ${email}`);
      await loadShares();
    } catch (e) { showError(e); }
  });
  $('#link-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showError(null);
    const body = {
      allow_download: $('#link-download').checked,
      keep_metadata: $('#link-keep').checked,
    };
    if (target.album) body.album_id = target.album; else body.asset_ids = target.assetIds;
    const pw = $('#link-password').value;
    if (pw) body.password = pw;
    const days = Number($('#link-days').value);
    if (days > 0) body.expires_at = Date.now() + days * 86400000;
    try {
      const l = await api('POST', '/links', body);
      ev.target.reset();
      const url = linkUrl(l.token);
      if (target.album) await loadLinks();
      else {
        $('#link-list').replaceChildren(el('li', { 'data-link': l.id },
          el('input', { class: 'link-url', readonly: true, value: url, 'aria-label': 'Link address' }),
          el('button', { type: 'button', onclick: () => copy(url) }, 'Copy')));
      }
      await copy(url);
    } catch (e) { showError(e); }
  });
}
