// Uploads: a button and drag-and-drop, three files at a time, each with its
// own progress, cancel, and outcome (stored, already in the library, or the
// server's reason). Files over 32 MiB go through the resumable tus protocol
// in one PATCH (stored once), resuming from the server's offset after a
// network error.
import { api, csrf, $, el, bytes } from './api.js';

const SMALL = 32 << 20;
const PARALLEL = 3;
const queue = [];
let running = 0;
let options = {};

export function startUploads(opts) {
  options = opts;
  const input = $('#file-input');
  input.addEventListener('change', () => { add([...input.files]); input.value = ''; });
  $('#uploads-close').addEventListener('click', () => {
    $('#uploads').hidden = true;
    for (const li of [...$('#upload-list').children]) if (li.dataset.state !== 'uploading' && li.dataset.state !== 'waiting') li.remove();
  });
  const drop = $('#drop');
  let depth = 0;
  addEventListener('dragenter', (e) => { if (hasFiles(e)) { depth++; drop.hidden = false; } });
  addEventListener('dragleave', () => { depth = Math.max(0, depth - 1); if (!depth) drop.hidden = true; });
  addEventListener('dragover', (e) => { if (hasFiles(e)) e.preventDefault(); });
  addEventListener('drop', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth = 0;
    drop.hidden = true;
    add([...e.dataTransfer.files]);
  });
}

function hasFiles(e) { return [...(e.dataTransfer?.types ?? [])].includes('Files'); }

function add(files) {
  if (!files.length) return;
  $('#uploads').hidden = false;
  for (const file of files) {
    const state = el('span', { class: 'state', text: 'Waiting' });
    const bar = el('progress', { max: '100', value: '0', 'aria-label': `Progress of ${file.name}` });
    const cancel = el('button', { type: 'button', text: 'Cancel', 'aria-label': `Cancel ${file.name}` });
    const row = el('li', { 'data-state': 'waiting' }, el('span', { class: 'name', title: file.name, text: `${file.name} · ${bytes(file.size)}` }), cancel, bar, state);
    const job = { file, row, state, bar, cancel, abort: null, cancelled: false };
    cancel.addEventListener('click', () => {
      job.cancelled = true;
      if (job.abort) job.abort();
      finish(job, 'cancelled', 'Cancelled');
    });
    $('#upload-list').prepend(row);
    queue.push(job);
  }
  pump();
}

function finish(job, kind, text) {
  job.row.dataset.state = kind;
  job.state.textContent = text;
  job.cancel.hidden = true;
  if (kind === 'done' || kind === 'duplicate') job.bar.value = 100;
  summary();
}

function summary() {
  const rows = [...$('#upload-list').children];
  const count = (s) => rows.filter((r) => r.dataset.state === s).length;
  const busy = count('uploading') + count('waiting');
  const parts = [busy ? `${busy} uploading` : 'Uploads done', count('done') && `${count('done')} added`,
    count('duplicate') && `${count('duplicate')} already there`, count('failed') && `${count('failed')} failed`];
  $('#upload-summary').textContent = parts.filter(Boolean).join(' · ');
}

async function pump() {
  while (running < PARALLEL && queue.length) {
    const job = queue.shift();
    if (job.cancelled) continue;
    running++;
    run(job).finally(() => {
      running--;
      if (!running && !queue.length && options.onDone) options.onDone();
      pump();
    });
  }
}

async function run(job) {
  job.row.dataset.state = 'uploading';
  job.state.textContent = 'Uploading';
  try {
    const r = job.file.size > SMALL ? await tus(job) : await single(job);
    if (job.cancelled) return;
    if (options.album && r.id) await api('POST', `/albums/${options.album}/assets`, { asset_ids: [r.id] });
    finish(job, r.duplicate ? 'duplicate' : 'done', r.duplicate ? 'Already in your library' : 'Uploaded');
  } catch (e) {
    if (!job.cancelled) finish(job, 'failed', e.message || 'Failed');
  }
}

// A one-request upload. A failure that says nothing about the file — the
// connection dropped, the server cut the body short (`upload-interrupted`),
// or it is busy (408, 429, 502–504 other than sealed) — is sent again, up to
// five times, after the server's Retry-After or 1, 2, 4, 8 s. Sending the
// same bytes twice is harmless: identical content is stored once.
async function single(job) {
  let lost = false;
  for (let attempt = 0; ; attempt++) {
    const r = await post(job);
    if (job.cancelled) return r;
    if (r.status === 200 || r.status === 201) {
      // (a duplicate after a lost answer is most likely this file's first try)
      return { id: r.body?.asset?.id, duplicate: !!r.body?.duplicate && !lost };
    }
    const code = r.body?.error?.code;
    const again = r.status === 0 || code === 'upload-interrupted' || r.status === 408 || r.status === 429
      || ([502, 503, 504].includes(r.status) && code !== 'sealed');
    if (!again || attempt >= 4) throw new Error(r.body?.error?.message ?? (r.status ? `The server answered ${r.status}` : 'The connection was lost'));
    lost = lost || r.status === 0;
    const after = Number(r.retryAfter);
    job.state.textContent = 'Trying again…';
    await new Promise((ok) => setTimeout(ok, after > 0 && after <= 60 ? after * 1000 : 1000 * 2 ** attempt));
    if (job.cancelled) return r;
    job.state.textContent = 'Uploading';
  }
}

// One POST of the file as a form; resolves with its status (0: no answer),
// JSON body and Retry-After.
function post(job) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    job.abort = () => xhr.abort();
    xhr.open('POST', '/api/v1/assets');
    xhr.setRequestHeader('x-csrf-token', csrf);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) job.bar.value = (e.loaded / e.total) * 100; };
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { body = null; }
      resolve({ status: xhr.status, body, retryAfter: xhr.getResponseHeader('retry-after') });
    };
    xhr.onerror = () => resolve({ status: 0, body: null, retryAfter: null });
    xhr.onabort = () => resolve({ status: 0, body: null, retryAfter: null });
    const form = new FormData();
    form.append('file', job.file, job.file.name);
    xhr.send(form);
  });
}

function b64(s) {
  const b = new TextEncoder().encode(s);
  let bin = '';
  for (const x of b) bin += String.fromCharCode(x);
  return btoa(bin);
}

async function tusFetch(url, init) {
  const ctl = new AbortController();
  init.signal = ctl.signal;
  init.credentials = 'same-origin';
  init.headers = { 'tus-resumable': '1.0.0', 'x-csrf-token': csrf, ...init.headers };
  return { ctl, res: fetch(url, init) };
}

// One PATCH of the file from `offset` to its end, with progress (fetch has
// no upload progress); resolves with the finished request, rejects with a
// TypeError when the connection fails.
function patch(url, offset, job) {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('PATCH', url);
    x.withCredentials = true;
    x.setRequestHeader('tus-resumable', '1.0.0');
    x.setRequestHeader('x-csrf-token', csrf);
    x.setRequestHeader('content-type', 'application/offset+octet-stream');
    x.setRequestHeader('upload-offset', String(offset));
    x.upload.onprogress = (e) => { job.bar.value = ((offset + e.loaded) / job.file.size) * 100; };
    x.onload = () => resolve(x);
    x.onerror = () => reject(new TypeError('the connection failed'));
    x.onabort = () => reject(new Error('Cancelled'));
    job.abort = () => { x.abort(); fetch(url, { method: 'DELETE', headers: { 'tus-resumable': '1.0.0', 'x-csrf-token': csrf } }); };
    x.send(job.file.slice(offset));
  });
}

async function tus(job) {
  const { res: created } = await tusFetch('/api/v1/uploads', {
    method: 'POST',
    headers: { 'upload-length': String(job.file.size), 'upload-metadata': `filename ${b64(job.file.name)}` },
  });
  const c = await created;
  if (c.status !== 201) throw new Error((await c.json().catch(() => null))?.error?.message ?? `The server answered ${c.status}`);
  const url = c.headers.get('location');
  job.abort = () => { fetch(url, { method: 'DELETE', headers: { 'tus-resumable': '1.0.0', 'x-csrf-token': csrf } }); };
  let offset = 0;
  let failures = 0;
  while (offset < job.file.size) {
    if (job.cancelled) throw new Error('Cancelled');
    try {
      // The rest of the file in one PATCH: the server keeps whatever
      // arrives even if the connection drops (a retry resumes from the
      // offset HEAD reports), and a file sent whole is stored once.
      const r = await patch(url, offset, job);
      if (r.status === 204) {
        offset = Number(r.getResponseHeader('upload-offset'));
        failures = 0;
        job.bar.value = (offset / job.file.size) * 100;
        const id = r.getResponseHeader('pixelunion-asset-id');
        if (offset >= job.file.size) return { id, duplicate: false };
        continue;
      }
      if (r.status === 409 || r.status === 423) throw new Error('retry');
      let message = null;
      try { message = JSON.parse(r.responseText)?.error?.message; } catch { /* not JSON */ }
      throw new Error(message ?? `The server answered ${r.status}`);
    } catch (e) {
      if (job.cancelled) throw e;
      if (e.message !== 'retry' && !(e instanceof TypeError)) throw e;
      if (++failures > 8) throw new Error('The connection keeps failing; try again later');
      job.state.textContent = 'Reconnecting…';
      await new Promise((r) => setTimeout(r, Math.min(30000, 1000 * 2 ** failures)));
      const h = await fetch(url, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0' }, credentials: 'same-origin' });
      if (!h.ok) throw new Error('The upload expired on the server; start it again');
      offset = Number(h.headers.get('upload-offset'));
      job.state.textContent = 'Uploading';
    }
  }
  return { id: null, duplicate: false };
}

