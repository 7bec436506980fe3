// Uploads: a button and drag-and-drop, three files at a time, each with its
// own progress, cancel, and outcome (stored, already in the library, or the
// server's reason). Files over 32 MiB go through the resumable tus protocol
// in 8 MiB pieces, resuming from the server's offset after a network error.
import { api, csrf, $, el, bytes } from './api.js';

const SMALL = 32 << 20;
const CHUNK = 8 << 20;
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

function single(job) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    job.abort = () => xhr.abort();
    xhr.open('POST', '/api/v1/assets');
    xhr.setRequestHeader('x-csrf-token', csrf);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) job.bar.value = (e.loaded / e.total) * 100; };
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { body = null; }
      if (xhr.status === 200 || xhr.status === 201) resolve({ id: body?.asset?.id, duplicate: !!body?.duplicate });
      else reject(new Error(body?.error?.message ?? `The server answered ${xhr.status}`));
    };
    xhr.onerror = () => reject(new Error('The connection was lost'));
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
    const piece = job.file.slice(offset, Math.min(offset + CHUNK, job.file.size));
    const { ctl, res } = await tusFetch(url, {
      method: 'PATCH',
      headers: { 'content-type': 'application/offset+octet-stream', 'upload-offset': String(offset) },
      body: piece,
    });
    job.abort = () => { ctl.abort(); fetch(url, { method: 'DELETE', headers: { 'tus-resumable': '1.0.0', 'x-csrf-token': csrf } }); };
    try {
      const r = await res;
      if (r.status === 204) {
        offset = Number(r.headers.get('upload-offset'));
        failures = 0;
        job.bar.value = (offset / job.file.size) * 100;
        const id = r.headers.get('pixelunion-asset-id');
        if (offset >= job.file.size) return { id, duplicate: false };
        continue;
      }
      if (r.status === 409 || r.status === 423) throw new Error('retry');
      throw new Error((await r.json().catch(() => null))?.error?.message ?? `The server answered ${r.status}`);
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

