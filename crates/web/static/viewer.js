// The viewer: the photo fitted to the screen (or a video), keyboard
// (← → Esc i f z d Delete), swipe, zoom, an info panel that makes room,
// download, favourite, trash or restore. Each photo has an address
// (`?photo=ID` on the page it was opened from): Back closes the viewer,
// a link or a reload opens it again.
import { api, $, toast, bytes, checkSealed, wallClock, formatWall, utcOffset } from './api.js';

const dialog = $('#viewer');
const img = $('#view-img');
const video = $('#view-video');
const stage = $('#stage');
const note = $('#view-note');
let list = [];
let at = 0;
let opts = {};
let pushed = false; // whether opening added a history entry (Back closes)

export function openViewer(items, index, options) {
  // The viewer keeps its own copy: the grid may reload underneath it.
  list = items.slice();
  opts = options;
  $('#view-trash').textContent = opts.trash ? 'Restore' : 'Move to trash';
  $('#view-trash').title = opts.trash ? 'Restore' : 'Move to trash (Delete)';
  $('#view-cover').hidden = !opts.album;
  $('#view-purge').hidden = !opts.trash;
  if (!dialog.open) {
    // the photo's address; opened from an address already, nothing to add
    if (opts.fromAddress) pushed = false;
    else { history.pushState({ photo: list[index]?.id }, '', address(list[index]?.id)); pushed = true; }
  }
  show(index);
  if (!dialog.open) dialog.showModal();
  $('#view-close').focus();
  // a cached preview would show even while sealed: ask, and show the
  // locked page if so
  checkSealed();
}

/** The current page's address with `photo=id` (or without, for null). */
export function address(id) {
  const u = new URL(location.href);
  if (id) u.searchParams.set('photo', id); else u.searchParams.delete('photo');
  return u.pathname + u.search;
}

/** Closes the viewer (Back, if opening added a history entry). */
export function closeViewer() {
  if (!dialog.open) return;
  dialog.close();
}

function show(i) {
  at = Math.max(0, Math.min(list.length - 1, i));
  const a = list[at];
  if (!a) return;
  history.replaceState({ photo: a.id }, '', address(a.id));
  stage.classList.remove('zoomed');
  $('#view-zoom').setAttribute('aria-pressed', 'false');
  $('#view-zoom').hidden = a.kind === 'video'; // the player has its own full screen
  note.hidden = true;
  video.pause();
  if (a.kind === 'video') {
    img.hidden = true;
    video.hidden = false;
    video.poster = `/api/v1/assets/${a.id}/preview?s=${a.media?.state}`;
    video.src = `/api/v1/assets/${a.id}/playback`;
  } else {
    video.hidden = true;
    video.removeAttribute('src');
    img.hidden = false;
    img.src = `/api/v1/assets/${a.id}/preview?s=${a.media?.state}`;
    img.alt = a.file_name ? `Photo: ${a.file_name}` : 'Photo';
  }
  $('#view-prev').disabled = at === 0;
  $('#view-next').disabled = at === list.length - 1;
  // Someone else's item (shared through an album): look, download, no edits.
  const theirs = !!a.owner;
  $('#view-fav').hidden = theirs;
  $('#view-trash').hidden = theirs;
  $('#view-cover').hidden = !opts.album || opts.role !== 'owner';
  const fav = $('#view-fav');
  fav.setAttribute('aria-pressed', String(!!a.favorite));
  fav.textContent = a.favorite ? '♥ Favorite' : '♡ Favorite';
  const dl = $('#view-download');
  dl.href = `/api/v1/assets/${a.id}/original`;
  dl.setAttribute('download', a.file_name ?? '');
  info(a);
  if (a.media?.state === 'pending') watch(a);
  // the next picture loads while this one is looked at
  const next = list[at + 1];
  if (next && next.kind !== 'video') new Image().src = `/api/v1/assets/${next.id}/preview?s=${next.media?.state}`;
}

/** "Canon EOS 80D", not "Canon · Canon EOS 80D". */
export function camera(m) {
  const make = (m.make ?? '').trim();
  const model = (m.model ?? '').trim();
  if (!make) return model;
  if (!model) return make;
  const first = make.split(/\s+/)[0].toLowerCase();
  return model.toLowerCase().startsWith(first) ? model : `${make} ${model}`;
}

/** "ƒ/2.8 · 1/250 s · ISO 200 · 35 mm". */
export function exposure(m) {
  const parts = [];
  if (m.f_number) parts.push(`ƒ/${Number(m.f_number.toFixed(1))}`);
  if (m.exposure_s) {
    parts.push(m.exposure_s >= 1 ? `${Number(m.exposure_s.toFixed(1))} s` : `1/${Math.round(1 / m.exposure_s)} s`);
  }
  if (m.iso) parts.push(`ISO ${m.iso}`);
  if (m.focal_mm) parts.push(`${Number(m.focal_mm.toFixed(1))} mm`);
  return parts.join(' · ');
}

function info(a) {
  const m = a.metadata ?? {};
  const w = wallClock(a);
  const when = formatWall(w, { weekday: 'short', day: 'numeric', month: 'long', year: 'numeric', hour: 'numeric', minute: '2-digit' });
  $('#info-date').textContent = w.uploaded ? `Uploaded ${when}` : (w.offset != null ? `${when} (${utcOffset(w.offset)})` : when);
  $('#info-name').textContent = a.file_name ?? '—';
  $('#info-size').textContent = bytes(a.size);
  $('#info-dims').textContent = a.width ? `${a.width} × ${a.height}${m.duration_ms ? ` · ${(m.duration_ms / 1000).toFixed(1)} s` : ''}` : '—';
  $('#info-camera').textContent = camera(m) || '—';
  $('#info-lens').textContent = m.lens || '—';
  $('#info-exposure').textContent = exposure(m) || '—';
  $('#info-place').textContent = m.latitude != null && m.longitude != null
    ? `${m.latitude.toFixed(5)}, ${m.longitude.toFixed(5)}`
    : '—';
}

/** An item uploaded a moment ago: its preview and metadata are on their
 * way; look again until the pipeline is done, then show them. */
async function watch(a) {
  for (let i = 0; i < 40 && dialog.open && list[at] === a; i++) {
    try { await reload(a); } catch { return; }
    if (a.media?.state !== 'pending') {
      if (list[at] === a) show(at);
      return;
    }
    await new Promise((r) => setTimeout(r, 1500));
  }
}

async function reload(a) {
  const fresh = await api('GET', `/assets/${a.id}`);
  Object.assign(a, fresh);
}

// A picture or video that does not load: the server may have been sealed
// meanwhile (then the locked page shows), or the file is unreadable.
async function failed() {
  if (!dialog.open || await checkSealed()) return;
  note.textContent = 'This file could not be loaded. Try again in a moment.';
  note.hidden = false;
}
img.addEventListener('error', () => { if (img.getAttribute('src')) failed(); });
video.addEventListener('error', () => { if (video.getAttribute('src')) failed(); });

$('#view-prev').addEventListener('click', () => show(at - 1));
$('#view-next').addEventListener('click', () => show(at + 1));
$('#view-close').addEventListener('click', () => dialog.close());
dialog.addEventListener('close', () => {
  video.pause(); video.removeAttribute('src'); video.load();
  if (pushed) { pushed = false; history.back(); } else history.replaceState(null, '', address(null));
});
$('#view-zoom').addEventListener('click', zoom);
img.addEventListener('dblclick', zoom);
function zoom() {
  if (list[at]?.kind === 'video') return;
  const on = stage.classList.toggle('zoomed');
  $('#view-zoom').setAttribute('aria-pressed', String(on));
}
$('#view-info-toggle').addEventListener('click', () => {
  const p = $('#view-info');
  p.hidden = !p.hidden;
  dialog.classList.toggle('with-info', !p.hidden);
  $('#view-info-toggle').setAttribute('aria-expanded', String(!p.hidden));
});
$('#view-fav').addEventListener('click', async () => {
  const a = list[at];
  if (a.owner) return;
  try {
    const r = await api('PATCH', `/assets/${a.id}`, { favorite: !a.favorite });
    a.favorite = r.favorite; // PATCH answers with the asset
    if (list[at] === a) show(at);
    opts.changed = true;
  } catch (e) { toast(e.message); }
});
$('#view-trash').addEventListener('click', async () => {
  const a = list[at];
  if (a.owner) return;
  const index = at;
  try {
    if (opts.trash) await api('POST', `/assets/${a.id}/restore`);
    else await api('DELETE', `/assets/${a.id}`);
    list.splice(at, 1);
    opts.changed = true;
    if (opts.trash) toast('Restored');
    else {
      toast('Moved to the trash', { label: 'Undo', run: async () => {
        try {
          await api('POST', `/assets/${a.id}/restore`);
          list.splice(index, 0, a);
          if (dialog.open) show(index);
          opts.onChange?.();
          toast('Put back');
        } catch (e) { toast(e.message); }
      } });
    }
    if (!list.length) dialog.close(); else show(at);
  } catch (e) { toast(e.message); }
});
$('#view-purge').addEventListener('click', async () => {
  const a = list[at];
  if (!confirm('Delete this item for good? This cannot be undone.')) return;
  try {
    const r = await api('POST', '/assets/batch', { ids: [a.id], action: 'purge' });
    toast(r.changed ? 'Deleted for good' : 'It was no longer in the trash');
    list.splice(at, 1);
    opts.changed = true;
    if (!list.length) dialog.close(); else show(at);
  } catch (e) { toast(e.message); }
});
$('#view-cover').addEventListener('click', async () => {
  try {
    await api('PATCH', `/albums/${opts.album}`, { cover_asset_id: list[at].id });
    toast('Album cover set');
  } catch (e) { toast(e.message); }
});
dialog.addEventListener('close', () => { if (opts.changed && opts.onChange) { opts.changed = false; opts.onChange(); } });

dialog.addEventListener('keydown', (e) => {
  if (e.target instanceof HTMLInputElement || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === 'ArrowRight') { e.preventDefault(); show(at + 1); }
  else if (e.key === 'ArrowLeft') { e.preventDefault(); show(at - 1); }
  else if (e.key === 'i') $('#view-info-toggle').click();
  else if (e.key === 'f') $('#view-fav').click();
  else if (e.key === 'z') zoom();
  else if (e.key === 'd') $('#view-download').click();
  else if (e.key === 'Delete') $('#view-trash').click();
});

// Back (or a link without the photo) closes the viewer.
addEventListener('popstate', () => {
  const id = new URL(location.href).searchParams.get('photo');
  if (!id && dialog.open) { pushed = false; dialog.close(); }
});

// Swipe left/right on touch screens.
let startX = null;
stage.addEventListener('pointerdown', (e) => { if (e.pointerType !== 'mouse') startX = e.clientX; });
stage.addEventListener('pointerup', (e) => {
  if (startX === null || stage.classList.contains('zoomed')) return;
  const dx = e.clientX - startX;
  startX = null;
  if (Math.abs(dx) > 60) show(at + (dx < 0 ? 1 : -1));
});
