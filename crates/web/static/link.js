// A public link's page (`/s#TOKEN`), for people without an account. The
// token is read from the address's fragment (never sent in a URL) and
// posted once to open the link, which sets a cookie for the link's own
// paths; then the page shows the link's photos and videos.
import { $, el } from './api.js';

const token = decodeURIComponent(location.hash.slice(1));
let linkId = null;
let info = null;
let cursor = null;
const items = [];
let at = 0;

function error(msg) { $('#link-error').textContent = msg ?? ''; }

async function json(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined) { init.headers['content-type'] = 'application/json'; init.body = JSON.stringify(body); }
  const res = await fetch(`/api/v1${path}`, init);
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const e = new Error(data?.error?.message ?? `The server answered ${res.status}.`);
    e.status = res.status;
    e.code = data?.error?.code;
    throw e;
  }
  return data;
}

const file = (a, kind) => `/api/v1/public/${linkId}/assets/${a.id}/${kind}`;

async function open(password) {
  error();
  try {
    info = await json('POST', '/public/open', password ? { token, password } : { token });
  } catch (e) {
    if (e.code === 'password-needed') { $('#link-unlock').hidden = false; $('#link-pass').focus(); return; }
    $('#link-unlock').hidden = !password;
    error(e.status === 404
      ? (password ? 'That password is not right, or this link no longer works.' : 'This link does not work: it may have been revoked or have expired.')
      : e.message);
    return;
  }
  linkId = info.id;
  $('#link-unlock').hidden = true;
  $('#link-title').textContent = info.title ?? 'Shared photos';
  document.title = `${info.title ?? 'Shared photos'} · PixelUnion`;
  $('#link-owner').textContent = [
    info.owner_name ? `Shared by ${info.owner_name}` : null,
    `${info.item_count} item${info.item_count === 1 ? '' : 's'}`,
  ].filter(Boolean).join(' · ');
  await more();
}

async function more() {
  try {
    const q = cursor ? `?cursor=${encodeURIComponent(cursor)}` : '';
    const page = await json('GET', `/public/${linkId}/items${q}`);
    cursor = page.next_cursor;
    for (const a of page.items) {
      const index = items.push(a) - 1;
      $('#link-grid').append(el('button', {
        type: 'button',
        class: 'tile',
        'data-id': a.id,
        'aria-label': a.kind === 'video' ? 'Video' : 'Photo',
        onclick: () => show(index),
      }, el('img', { src: file(a, 'thumbnail'), alt: '', loading: 'lazy' }), a.kind === 'video' ? el('span', { class: 'badge', text: '▶' }) : null));
    }
    $('#link-more').hidden = !cursor;
  } catch (e) { error(e.message); }
}

function show(i) {
  at = Math.max(0, Math.min(items.length - 1, i));
  const a = items[at];
  const img = $('#lv-img');
  const video = $('#lv-video');
  video.pause();
  if (a.kind === 'video') {
    img.hidden = true;
    video.hidden = false;
    video.poster = file(a, 'preview');
    video.src = file(a, 'playback');
  } else {
    video.hidden = true;
    video.removeAttribute('src');
    img.hidden = false;
    img.src = file(a, 'preview');
    img.alt = a.caption ?? 'Photo';
  }
  const dl = $('#lv-download');
  dl.hidden = !info.allow_download;
  dl.href = file(a, 'original');
  $('#lv-prev').disabled = at === 0;
  $('#lv-next').disabled = at === items.length - 1;
  if (!$('#link-viewer').open) $('#link-viewer').showModal();
}

$('#lv-close').addEventListener('click', () => { $('#lv-video').pause(); $('#link-viewer').close(); });
$('#lv-prev').addEventListener('click', () => show(at - 1));
$('#lv-next').addEventListener('click', () => show(at + 1));
$('#link-viewer').addEventListener('keydown', (e) => {
  if (e.key === 'ArrowRight') show(at + 1);
  else if (e.key === 'ArrowLeft') show(at - 1);
});
$('#link-more').addEventListener('click', () => more());
$('#link-unlock').addEventListener('submit', (ev) => {
  ev.preventDefault();
  open($('#link-pass').value);
});
if (token) open();
else error('This address has no link in it. Ask whoever sent it for the whole address.');
