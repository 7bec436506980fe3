// The album list: covers, names, counts; create an album; albums shared with me.
import { api, $, el, formError, wireSignOut } from './api.js';

wireSignOut();
/** The album's cover, or its newest item when no cover was chosen. */
function cover(al) {
  const box = el('div', { class: 'cover' });
  const show = (id) => box.append(el('img', { src: `/api/v1/assets/${id}/thumbnail`, alt: '', loading: 'lazy' }));
  if (al.cover_asset_id) show(al.cover_asset_id);
  else if (al.asset_count > 0) {
    api('GET', `/assets?album=${encodeURIComponent(al.id)}&limit=1`).then((p) => { if (p.items[0]) show(p.items[0].id); }).catch(() => {});
  }
  return box;
}

async function load() {
  try {
    const { items } = await api('GET', '/albums');
    $('#albums-empty').hidden = items.length > 0;
    $('#album-list').replaceChildren(...items.map((al) => el('li', {},
      el('a', { href: `/albums/${encodeURIComponent(al.id)}` },
        cover(al),
        el('div', { class: 'name', text: al.name ?? 'Untitled' }),
        el('div', { class: 'count', text: `${al.asset_count} item${al.asset_count === 1 ? '' : 's'}` })))));
  } catch (e) { $('#albums-error').textContent = e.message; }
  try {
    const { items } = await api('GET', '/shared/albums');
    $('#shared-section').hidden = items.length === 0;
    $('#shared-list').replaceChildren(...items.map((al) => el('li', { class: 'shared' },
      el('a', { href: `/albums/${encodeURIComponent(al.id)}` },
        cover(al),
        el('div', { class: 'name', text: al.name ?? 'Untitled' }),
        el('div', { class: 'count', text: `${al.owner_name ?? 'Someone'} · ${al.asset_count} item${al.asset_count === 1 ? '' : 's'}` })))));
  } catch (e) { $('#albums-error').textContent = e.message; }
}
$('#new-album').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  try {
    const al = await api('POST', '/albums', { name: $('#album-name').value.trim() });
    location.assign(`/albums/${encodeURIComponent(al.id ?? al.album?.id)}`);
  } catch (e) { $('#albums-error').textContent = e.message; formError(ev.target, e); }
});
load();
