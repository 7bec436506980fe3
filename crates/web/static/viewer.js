// The viewer: full-screen preview or video, keyboard (← → Esc, i, f),
// swipe, zoom, an info panel, download, favourite, trash or restore.
import { api, $, toast, bytes, dateTime } from './api.js';

const dialog = $('#viewer');
const img = $('#view-img');
const video = $('#view-video');
const stage = $('#stage');
let list = [];
let at = 0;
let opts = {};

export function openViewer(items, index, options) {
  // The viewer keeps its own copy: the grid may reload underneath it.
  list = items.slice();
  opts = options;
  $('#view-trash').textContent = opts.trash ? 'Restore' : 'Move to trash';
  $('#view-cover').hidden = !opts.album;
  show(index);
  if (!dialog.open) dialog.showModal();
  $('#view-close').focus();
}

function show(i) {
  at = Math.max(0, Math.min(list.length - 1, i));
  const a = list[at];
  stage.classList.remove('zoomed');
  $('#view-zoom').setAttribute('aria-pressed', 'false');
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
  if (next && next.kind !== 'video') new Image().src = `/api/v1/assets/${next.id}/preview`;
}

function info(a) {
  const m = a.metadata ?? {};
  $('#info-date').textContent = a.taken_at ? dateTime(a.taken_at, { dateStyle: 'full', timeStyle: 'short' }) : `Uploaded ${dateTime(a.uploaded_at)}`;
  $('#info-name').textContent = a.file_name ?? '—';
  $('#info-size').textContent = bytes(a.size);
  $('#info-dims').textContent = a.width ? `${a.width} × ${a.height}${m.duration_ms ? ` · ${(m.duration_ms / 1000).toFixed(1)} s` : ''}` : '—';
  $('#info-camera').textContent = [m.make, m.model, m.lens].filter(Boolean).join(' · ') || '—';
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

$('#view-prev').addEventListener('click', () => show(at - 1));
$('#view-next').addEventListener('click', () => show(at + 1));
$('#view-close').addEventListener('click', () => dialog.close());
dialog.addEventListener('close', () => { video.pause(); video.removeAttribute('src'); video.load(); });
$('#view-zoom').addEventListener('click', zoom);
img.addEventListener('dblclick', zoom);
function zoom() {
  const on = stage.classList.toggle('zoomed');
  $('#view-zoom').setAttribute('aria-pressed', String(on));
}
$('#view-info-toggle').addEventListener('click', () => {
  const p = $('#view-info');
  p.hidden = !p.hidden;
  $('#view-info-toggle').setAttribute('aria-expanded', String(!p.hidden));
});
$('#view-fav').addEventListener('click', async () => {
  const a = list[at];
  try {
    const r = await api('PATCH', `/assets/${a.id}`, { favorite: !a.favorite });
    a.favorite = r.favorite; // PATCH answers with the asset
    if (list[at] === a) show(at);
    opts.changed = true;
  } catch (e) { toast(e.message); }
});
$('#view-trash').addEventListener('click', async () => {
  const a = list[at];
  try {
    if (opts.trash) await api('POST', `/assets/${a.id}/restore`);
    else await api('DELETE', `/assets/${a.id}`);
    toast(opts.trash ? 'Restored' : 'Moved to trash');
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
  if (e.target instanceof HTMLInputElement) return;
  if (e.key === 'ArrowRight') { e.preventDefault(); show(at + 1); }
  else if (e.key === 'ArrowLeft') { e.preventDefault(); show(at - 1); }
  else if (e.key === 'i') $('#view-info-toggle').click();
  else if (e.key === 'f') $('#view-fav').click();
  else if (e.key === 'z') zoom();
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
