// The grid: pages of the timeline (or favourites, archive, trash, an album)
// grouped by month and day, infinite scroll, a month scrubber, selection
// with batch actions, and the viewer and uploads.
import { api, $, el, toast, wireSignOut, wallClock, formatWall, checkSealed } from './api.js';
import { openViewer } from './viewer.js';
import { startUploads } from './upload.js';
import { openShare, wireShareDialog } from './share.js';

wireSignOut();
wireShareDialog();
const root = $('#library');
const grid = $('#grid');
const view = root.dataset.view;
const album = root.dataset.album;
const trash = view === 'trash';
let role = 'owner';                // the caller's standing in an album
const base = new URLSearchParams(root.dataset.filter);
if (album) base.set('album', album);
// A search (`/?q=…`): the hits instead of the timeline.
const searching = (new URL(location.href).searchParams.get('q') ?? '').trim();
const searchBox = $('#search');
if (searchBox) {
  searchBox.value = searching;
  if (searching) {
    document.title = `${searching} · PixelUnion`;
    $('#empty').textContent = `Nothing matches “${searching}”. Search looks in file names, captions, camera names, places, years and album names.`;
  }
  // suggestions (one's places, cameras and years), asked for each time the box is
  // entered (the library may have grown since)
  searchBox.addEventListener('focus', async () => {
    try {
      const { cameras, places, years } = await api('GET', '/search/suggestions');
      $('#search-suggestions').replaceChildren(...[...places, ...cameras, ...years.map(String)].map((v) => el('option', { value: v })));
    } catch { /* no suggestions: the box still works */ }
  });
}

export const items = [];           // every asset loaded, in display order
const shownIds = new Set();        // their ids: a page never adds one twice
let generation = 0;                // bumped by refresh: late pages are dropped
const selected = new Set();
let cursor = null;
let done = false;
let loading = false;
let failures = 0;                  // list pages failed in a row (retried)
let retryTimer = 0;
const RETRIES = 6;
let lastMonth = '';
let lastDay = '';
let tiles = null;                  // the current day's tile container
let days = null;                   // the current month's day container

// Days and months are those of the clock where each photo was taken (the
// labels and the groups alike), whatever the viewer's own time zone.
const monthFmt = new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

// Rows that keep each photo's shape (justified), or square tiles.
const LAYOUT_KEY = 'pixelunion.layout';
let square = localStorage.getItem(LAYOUT_KEY) === 'square';
function applyLayout() {
  grid.classList.toggle('justified', !square);
  const b = $('#layout-toggle');
  b.setAttribute('aria-pressed', String(square));
}
applyLayout();
$('#layout-toggle').addEventListener('click', () => {
  square = !square;
  localStorage.setItem(LAYOUT_KEY, square ? 'square' : 'justified');
  applyLayout();
});

function tile(a, index) {
  const w = wallClock(a);
  const taken = a.taken_at != null ? ', taken ' + formatWall(w, { dateStyle: 'medium', timeStyle: 'short' }) : '';
  const label = `${a.kind === 'video' ? 'Video' : 'Photo'}${taken}${a.file_name ? ' — ' + a.file_name : ''}`;
  const img = el('img', { src: `/api/v1/assets/${a.id}/thumbnail`, alt: label, loading: 'lazy', decoding: 'async' });
  // Two sibling buttons (never nested): open the viewer, select.
  const open = el('button', { type: 'button', class: 'open' }, img);
  const check = el('button', { type: 'button', class: 'check', 'aria-pressed': 'false', 'aria-label': `Select: ${label}`, text: '✓' });
  const t = el('div', { class: 'tile', 'data-id': a.id, 'data-selected': 'false', 'data-state': a.media?.state ?? '' }, open, check);
  if (a.media?.state === 'failed') {
    t.append(el('span', { class: 'badge warn', title: a.media.error ?? '', text: 'No preview' }));
  }
  if (a.kind === 'video') {
    const d = a.metadata?.duration_ms;
    t.append(el('span', { class: 'badge', text: d ? `▶ ${Math.floor(d / 60000)}:${String(Math.floor(d / 1000) % 60).padStart(2, '0')}` : '▶' }));
  }
  if (a.favorite) t.append(el('span', { class: 'fav', 'aria-label': 'Favorite', text: '♥' }));
  // its shape, for the justified rows (CSSOM: allowed by the CSP)
  const ratio = a.width && a.height ? Math.min(4, Math.max(0.25, a.width / a.height)) : 1;
  t.style.setProperty('--ratio', ratio.toFixed(4));
  check.addEventListener('click', () => toggle(a.id));
  open.addEventListener('click', (ev) => {
    if (ev.shiftKey || ev.ctrlKey || ev.metaKey || selected.size > 0) toggle(a.id);
    else openViewer(items, index, { trash, album, role, onChange: refresh });
  });
  img.addEventListener('error', () => checkSealed());
  // Until the pipeline has made it, the thumbnail is a 4×3 placeholder:
  // look again every 2 s for a minute.
  let tries = 0;
  img.addEventListener('load', () => {
    if (img.naturalWidth <= 16 && a.media?.state !== 'failed' && tries++ < 30) {
      setTimeout(() => { img.src = `/api/v1/assets/${a.id}/thumbnail?try=${tries}`; }, 2000);
    }
  });
  return t;
}

function append(batch) {
  for (const a of batch) {
    if (shownIds.has(a.id)) continue;
    shownIds.add(a.id);
    const index = items.push(a) - 1;
    const d = wallClock(a).date;
    const month = monthFmt.format(d);
    const day = dayFmt.format(d);
    if (month !== lastMonth) {
      days = el('div', { class: 'days' });
      const section = el('section', { class: 'month', 'aria-label': month },
        el('h2', { id: `m-${d.toISOString().slice(0, 7)}` }, el('span', { text: month }), groupSelect(month)), days);
      grid.append(section);
      lastMonth = month;
      lastDay = '';
    }
    if (day !== lastDay) {
      tiles = el('div', { class: 'tiles' });
      days.append(el('div', { class: 'day' }, el('h3', {}, el('span', { text: day }), groupSelect(day)), tiles));
      lastDay = day;
    }
    tiles.append(tile(a, index));
  }
}

async function more() {
  if (loading || done) return;
  loading = true;
  const mine = generation;
  try {
    let page;
    if (searching) {
      // one answer: the first 200 hits (a search narrows, it does not scroll)
      const r = await api('GET', `/search?${new URLSearchParams({ q: searching, limit: '200' })}`);
      page = { items: r.items, next_cursor: null };
      $('#title').textContent = `${r.total} found for “${searching}”${r.total > r.items.length ? ` (the newest ${r.items.length})` : ''}`;
    } else {
      const q = new URLSearchParams(base);
      q.set('limit', '120');
      if (cursor) q.set('cursor', cursor);
      page = await api('GET', `/assets?${q}`);
    }
    if (mine !== generation) return; // a refresh started meanwhile
    append(page.items);
    cursor = page.next_cursor;
    done = !cursor;
    $('#empty').hidden = items.length > 0;
    failures = 0;
    loadError(null);
  } catch (e) {
    if (mine !== generation) return;
    loading = false;
    // A busy or briefly unreachable server: try again by itself, a little
    // later each time; anything else waits for the person (Try again).
    const transient = e.status === 0 || e.status === 408 || e.status === 429 || e.status >= 500;
    if (transient && failures < RETRIES) {
      const wait = Math.min(15000, 1000 * 2 ** failures++);
      loadError(`${e.message} Trying again in ${Math.round(wait / 1000)} s…`);
      retryTimer = setTimeout(() => { if (mine === generation) more(); }, wait);
    } else {
      loadError(e.message);
      done = true;
    }
    return;
  } finally {
    if (mine === generation) loading = false;
  }
  // keep filling until the sentinel is off screen
  if (!done && $('#sentinel').getBoundingClientRect().top < innerHeight + 600) more();
}

/** Says (or stops saying) that a page of the library could not be loaded,
 * with a button that tries again at once. */
function loadError(message) {
  let box = $('#load-error');
  if (!message) { if (box) box.hidden = true; return; }
  if (!box) {
    const again = el('button', { type: 'button', text: 'Try again' });
    again.addEventListener('click', () => { failures = 0; refresh(); });
    box = el('p', { id: 'load-error', class: 'notice', role: 'alert' }, el('span'), ' ', again);
    grid.before(box);
  }
  box.firstChild.textContent = `Your library could not be loaded: ${message}`;
  box.hidden = false;
}

/** Reloads from the top (after uploads, edits, jumps). */
export async function refresh(opts = {}) {
  generation++;
  clearTimeout(retryTimer);
  loading = false;
  items.length = 0;
  shownIds.clear();
  cursor = null;
  done = false;
  lastMonth = lastDay = '';
  grid.replaceChildren();
  if (opts.to) base.set('to', opts.to); else base.delete('to');
  clearSelection();
  await more();
  if (!searching) scrubber();
}

new IntersectionObserver((e) => { if (e.some((x) => x.isIntersecting)) more(); }, { rootMargin: '800px' })
  .observe($('#sentinel'));

/** A button that selects every loaded item of its day or month (or, when
 * all are selected already, none of them). */
function groupSelect(label) {
  const b = el('button', { type: 'button', class: 'group-select', 'aria-label': `Select all of ${label}`, title: 'Select all', text: '✓' });
  b.addEventListener('click', () => {
    const scope = b.closest('.day') ?? b.closest('.month');
    const ids = [...scope.querySelectorAll('.tile')].map((t) => t.dataset.id);
    const all = ids.every((id) => selected.has(id));
    for (const id of ids) if (all === selected.has(id)) toggle(id);
  });
  return b;
}

// Selection and batch actions.
function toggle(id) {
  if (selected.has(id)) selected.delete(id); else selected.add(id);
  const t = grid.querySelector(`[data-id="${CSS.escape(id)}"]`);
  if (t) {
    t.dataset.selected = String(selected.has(id));
    t.querySelector('.check').setAttribute('aria-pressed', String(selected.has(id)));
  }
  updateSelection();
}
function clearSelection() {
  selected.clear();
  for (const t of grid.querySelectorAll('[data-selected="true"]')) {
    t.dataset.selected = 'false';
    t.querySelector('.check').setAttribute('aria-pressed', 'false');
  }
  updateSelection();
}
function updateSelection() {
  $('#selection').hidden = selected.size === 0;
  grid.classList.toggle('selecting', selected.size > 0);
  $('#selection-count').textContent = `${selected.size} selected`;
}

const n = (k) => `${k} item${k === 1 ? '' : 's'}`;
const DONE = {
  trash: (k) => `${n(k)} moved to the trash`,
  restore: (k) => `${n(k)} restored`,
  purge: (k) => `${n(k)} deleted for good`,
  favorite: (k) => `${n(k)} added to favorites`,
  unfavorite: (k) => `${n(k)} removed from favorites`,
  archive: (k) => `${n(k)} archived`,
  unarchive: (k) => `${n(k)} back in the timeline`,
  remove: (k) => `${n(k)} removed from the album`,
};
const UNDO = { trash: 'restore', archive: 'unarchive', unarchive: 'archive', favorite: 'unfavorite', unfavorite: 'favorite' };

$('#selection').addEventListener('click', async (ev) => {
  const action = ev.target.closest('button')?.dataset.action;
  if (!action) return;
  const ids = [...selected];
  try {
    if (action === 'clear') { clearSelection(); return; }
    if (action === 'album') { await addToAlbum(ids); clearSelection(); return; }
    if (action === 'link') { await openShare({ assetIds: ids }); return; }
    if (action === 'download') { download(ids); return; }
    if (action === 'purge' && !confirm(`Delete ${n(ids.length)} for good? This cannot be undone.`)) return;
    let changed = ids.length;
    if (action === 'remove') {
      await api('POST', `/albums/${album}/remove`, { asset_ids: ids });
    } else {
      changed = (await api('POST', '/assets/batch', { ids, action })).changed;
    }
    const undo = UNDO[action];
    toast(DONE[action](changed), undo && {
      label: 'Undo',
      run: async () => {
        try { await api('POST', '/assets/batch', { ids, action: undo }); toast('Undone'); await refresh(); } catch (e) { toast(e.message); }
      },
    });
    await refresh().then(openFromAddress);
  } catch (e) { toast(e.message); }
});

/** Downloads the selection as one ZIP of the originals (streamed by the
 * server; the browser saves it like any download). */
function download(ids) {
  if (ids.length === 1) {
    location.assign(`/api/v1/assets/${ids[0]}/original`);
  } else {
    location.assign(`/api/v1/assets/zip?ids=${ids.map(encodeURIComponent).join(',')}`);
  }
  toast(`Downloading ${n(ids.length)}`);
}

/** Asks which album (or a new one) and adds `ids` to it. */
export async function addToAlbum(ids) {
  const dialog = $('#album-picker');
  const list = $('#picker-list');
  const { items: albums } = await api('GET', '/albums');
  list.replaceChildren(...albums.map((al, i) => el('li', {}, el('label', {},
    el('input', { type: 'radio', name: 'album', value: al.id, checked: i === 0 }), al.name ?? 'Untitled'))));
  $('#picker-new').value = '';
  dialog.showModal();
  const choice = await new Promise((res) => dialog.addEventListener('close', () => res(dialog.returnValue), { once: true }));
  if (choice !== 'ok') return;
  const name = $('#picker-new').value.trim();
  if (name) {
    await api('POST', '/albums', { name, asset_ids: ids });
    toast(`Album “${name}” created`);
  } else {
    const picked = list.querySelector('input:checked');
    if (!picked) return;
    await api('POST', `/albums/${picked.value}/assets`, { asset_ids: ids });
    toast('Added to album');
  }
}

// The month scrubber.
async function scrubber() {
  const nav = $('#scrubber');
  if (trash || album) { nav.hidden = true; return; }
  try {
    const q = new URLSearchParams(root.dataset.filter);
    const { months } = await api('GET', `/library/months?${q}`);
    nav.replaceChildren(...months.map((m) => {
      const [y, mo] = m.month.split('-').map(Number);
      const label = monthFmt.format(new Date(Date.UTC(y, mo - 1, 1)));
      return el('button', { type: 'button', title: `${label}: ${m.count}`, text: label, onclick: () => jump(y, mo) });
    }));
  } catch { nav.hidden = true; }
}
async function jump(y, mo) {
  const end = new Date(Date.UTC(mo === 12 ? y + 1 : y, mo === 12 ? 0 : mo, 1)).getTime();
  await refresh({ to: String(end) });
  window.scrollTo({ top: 0 });
}

const empty = $('#empty-trash');
if (empty) {
  empty.addEventListener('click', async () => {
    if (!confirm('Delete everything in the trash for good? This cannot be undone.')) return;
    try { await api('POST', '/trash/empty'); toast('Trash emptied'); await refresh(); } catch (e) { toast(e.message); }
  });
}

// After uploads, the timeline is reloaded; items still being processed get
// their capture date (and so their place in the timeline) a moment later,
// so it is reloaded again once they are ready.
async function refreshUntilProcessed(tries = 20) {
  // Never under the user's hands: not while selecting or viewing.
  const busy = selected.size > 0 || $('#viewer').open || $('#album-picker').open;
  if (!busy) await refresh().then(openFromAddress);
  if (tries > 0 && (busy || items.some((a) => a.media?.state === 'pending'))) {
    setTimeout(() => refreshUntilProcessed(tries - 1), 2500);
  }
}
if (!trash) {
  startUploads({ album, onDone: () => refreshUntilProcessed() });
  $('#upload-button').addEventListener('click', () => $('#file-input').click());
}

// Keys on the grid: u uploads, Ctrl+A selects everything loaded, Esc
// clears the selection.
addEventListener('keydown', (e) => {
  const t = e.target;
  if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement) return;
  if (document.querySelector('dialog[open]')) return;
  if (e.key === 'u' && !trash && !e.ctrlKey && !e.metaKey && !e.altKey) { e.preventDefault(); $('#file-input').click(); }
  else if (e.key === 'a' && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    for (const a of items) if (!selected.has(a.id)) toggle(a.id);
  } else if (e.key === 'Escape' && selected.size) clearSelection();
});

// A photo's address (`?photo=ID`): open it once the page has loaded, and
// again when Forward comes back to it.
async function openFromAddress() {
  const id = new URL(location.href).searchParams.get('photo');
  if (!id || $('#viewer').open) return;
  let index = items.findIndex((a) => a.id === id);
  let list = items;
  if (index < 0) {
    try { list = [await api('GET', `/assets/${encodeURIComponent(id)}`)]; index = 0; } catch (e) {
      toast(e.status === 404 ? 'That photo is not in your library' : e.message);
      history.replaceState(null, '', location.pathname);
      return;
    }
  }
  openViewer(list, index, { trash, album, role, onChange: refresh, fromAddress: true });
}
addEventListener('popstate', () => openFromAddress());
// One's own album: a Share button. Someone else's: who shared it, what
// one may do, and Leave; a viewer gets no upload, nobody edits others' items.
if (album) {
  api('GET', `/albums/${album}`).then((al) => {
    $('#title').textContent = al.name ?? 'Album';
    document.title = `${al.name} · PixelUnion`;
    role = al.role;
    root.dataset.role = role;
    if (role === 'owner') { $('#share-button').hidden = false; return; }
    const who = $('#album-owner');
    who.hidden = false;
    who.textContent = `Shared by ${al.owner_name ?? 'someone'} · you can ${role === 'contributor' ? 'view it and add your photos' : 'view it'}`;
    $('#leave-button').hidden = false;
    if (role === 'viewer') $('#upload-button').hidden = true;
    const allowed = role === 'contributor' ? ['download', 'clear', 'remove'] : ['download', 'clear'];
    for (const b of document.querySelectorAll('#selection [data-action]')) b.hidden = !allowed.includes(b.dataset.action);
  }).catch(() => {});
  $('#share-button').addEventListener('click', () => openShare({ album }));
  $('#leave-button').addEventListener('click', async () => {
    if (!confirm('Leave this album? Your own photos in it leave with you.')) return;
    try { await api('POST', `/albums/${album}/leave`); location.assign('/albums'); } catch (e) { toast(e.message); }
  });
}
refresh().then(openFromAddress);
