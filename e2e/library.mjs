// End-to-end: the PixelUnion web app in headless Chromium.
//
//   node e2e/library.mjs   (started by crates/cli/tests/browser.rs, which
//   runs the server and passes what it needs in the environment)
//
// PU_URL        https://127.0.0.1:PORT
// PU_EMAIL      the first administrator's e-mail
// PU_PASSWORD   the one-time password printed at first start
// PU_FILES      photo and video paths to upload, separated by ':'
// PU_SHOTS      folder for the screenshots
// PU_CHROMIUM   the browser (default /usr/bin/chromium)
//
// The first sign-in sets a new password and enrols an authenticator (the
// code is computed here from the secret the page shows); then the test signs
// out and in again with a TOTP code, uploads, watches thumbnails appear,
// steps through the viewer, plays and seeks the video, makes an album,
// trashes and restores, and checks that the CSP blocks an injected inline
// script. Every step throws on failure; the exit code tells.
import { chromium } from 'playwright-core';
import { createHmac } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const env = (k, d) => process.env[k] ?? d ?? (() => { throw new Error(`${k} is not set`); })();
const URL = env('PU_URL');
const MODE = env('PU_MODE', 'library');
const SHOTS = env('PU_SHOTS');
const EMAIL = MODE === 'library' ? env('PU_EMAIL') : '';
const FIRST_PASSWORD = MODE === 'library' ? env('PU_PASSWORD') : '';
const FILES = MODE === 'library' ? env('PU_FILES').split(':') : [];
const NEW_PASSWORD = 'correct horse battery staple for pixels';
mkdirSync(SHOTS, { recursive: true });

function base32(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, value = 0;
  const out = [];
  for (const c of s.replace(/[\s=-]/g, '').toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 255); bits -= 8; }
  }
  return Buffer.from(out);
}

/** RFC 6238 code for the 30-second step `step`. */
function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const h = createHmac('sha1', base32(secret)).update(counter).digest();
  const o = h[h.length - 1] & 15;
  const n = ((h[o] & 127) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1_000_000).padStart(6, '0');
}
const step = () => Math.floor(Date.now() / 30000);

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
  console.log(`ok - ${what}`);
}

const browser = await chromium.launch({
  executablePath: env('PU_CHROMIUM', '/usr/bin/chromium'),
  args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'],
});
const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 860 } });
const page = await context.newPage();
const violations = [];
page.on('console', (m) => { if (m.type() === 'error') violations.push(m.text()); });
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(e.message));
const shot = (name) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });

if (MODE === 'locked') {
  // A restarted (sealed) server: the locked page, not an error; it reloads
  // by itself once an operator unseals (the harness does, after a moment).
  try {
    const r = await page.goto(`${URL}/`);
    check(r.status() === 503, 'a sealed server answers 503');
    check((await page.textContent('h1')).includes('Locked'), 'with the locked page');
    await page.waitForFunction(() => document.querySelector('#unseal-progress').textContent.includes('of'));
    await shot('12-locked');
    console.log('waiting for unseal');
    await page.waitForSelector('#login', { timeout: 60000 });
    check(true, 'once unsealed, the page reloads into the sign-in page');
    console.log('all checks passed');
  } finally {
    await browser.close();
  }
  process.exit(0);
}

try {
  // 1. First sign-in: the one-time password leads to the setup page.
  await page.goto(`${URL}/`);
  check(page.url().endsWith('/login'), 'signed out: the library sends to /login');
  await shot('01-sign-in');
  await page.fill('#email', EMAIL);
  await page.fill('#password', FIRST_PASSWORD);
  await page.click('#login button[type=submit]');
  await page.waitForURL(/\/setup$/);
  check(true, 'a first sign-in lands on /setup');
  await page.fill('#current', FIRST_PASSWORD);
  await page.fill('#fresh', NEW_PASSWORD);
  await page.click('#new-password button[type=submit]');
  await page.waitForSelector('#enrol:not([hidden])');
  await page.fill('#enrol-password', NEW_PASSWORD);
  await page.click('#enrol button[type=submit]');
  await page.waitForSelector('#confirm:not([hidden])');
  await page.waitForFunction(() => document.querySelector('#qr').naturalWidth > 0);
  check(true, 'the QR code is shown (a blob: image, allowed by the CSP)');
  await shot('02-setup-authenticator');
  const secret = (await page.textContent('#secret')).trim();
  const enrolStep = step();
  await page.fill('#first-code', totp(secret, enrolStep));
  await page.click('#confirm button[type=submit]');
  await page.waitForSelector('#codes:not([hidden])');
  const codes = await page.$$eval('#code-list li', (l) => l.map((x) => x.textContent.trim()));
  check(codes.length === 10, 'ten recovery codes are shown once');
  const recovery = codes[0];
  await page.click('#codes a');
  await page.waitForURL(`${URL}/`);

  // 2. Sign out and back in with a TOTP code (a fresh step: codes are single-use).
  await page.click('#sign-out');
  await page.waitForURL(/\/login$/);
  await page.fill('#email', EMAIL);
  await page.fill('#password', NEW_PASSWORD);
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#step-code:not([hidden])');
  check(true, 'the password alone is not enough: the code step appears');
  while (step() <= enrolStep) await new Promise((r) => setTimeout(r, 500));
  await page.fill('#totp', totp(secret, step()));
  await page.click('#login button[type=submit]');
  await page.waitForURL(`${URL}/`);
  check(true, 'signed in with password and TOTP');

  // 3. Upload photos and a video; thumbnails appear.
  await page.setInputFiles('#file-input', FILES);
  await page.waitForFunction((n) => document.querySelectorAll('#upload-list li[data-state="done"]').length === n, FILES.length, { timeout: 60000 });
  check(true, `${FILES.length} uploads finished`);
  await page.waitForFunction((n) => {
    const imgs = [...document.querySelectorAll('#grid .tile img')];
    return imgs.length === n && imgs.every((i) => i.complete && i.naturalWidth >= 200);
  }, FILES.length, { timeout: 90000 });
  check(true, 'every tile shows a real thumbnail (≥ 200 px wide, not the 4×3 placeholder)');
  await shot('03-timeline');

  // 4. The viewer: open, step with the keyboard, info panel.
  await page.click('#grid .tile >> nth=0');
  await page.waitForSelector('#viewer[open]');
  const first = await page.getAttribute('#view-img', 'src');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((f) => {
    const img = document.querySelector('#view-img');
    const v = document.querySelector('#view-video');
    return (img.getAttribute('src') !== f) || !v.hidden;
  }, first);
  check(true, 'ArrowRight steps to the next item');
  await page.click('#view-info-toggle');
  check(await page.isVisible('#view-info'), 'the info panel opens');
  await page.waitForFunction(() => {
    const i = document.querySelector('#view-img');
    return i.hidden || (i.complete && i.naturalWidth >= 640);
  });
  await page.waitForFunction(() => document.querySelector('#info-camera').textContent !== '—' || !document.querySelector('#view-video').hidden);
  check(true, 'the preview and its metadata are shown');
  await shot('04-viewer');
  await page.click('#view-fav');
  await page.waitForSelector('#view-fav[aria-pressed="true"]');
  check(true, 'favourited from the viewer');

  // 5. The video plays and seeks.
  const kinds = await page.$$eval('#grid .tile', (ts) => ts.map((t) => !!t.querySelector('.badge')));
  const videoAt = kinds.indexOf(true);
  check(videoAt >= 0, 'the video has a tile with a duration badge');
  await page.keyboard.press('Escape');
  await page.click(`#grid .tile >> nth=${videoAt}`);
  await page.waitForSelector('#view-video:not([hidden])');
  const played = await page.evaluate(async () => {
    const v = document.querySelector('#view-video');
    v.muted = true;
    await v.play();
    await new Promise((r) => setTimeout(r, 700));
    const t0 = v.currentTime;
    v.currentTime = 1.5;
    await new Promise((r) => v.addEventListener('seeked', r, { once: true }));
    return { t0, after: v.currentTime, duration: v.duration };
  });
  check(played.t0 > 0, `the video plays (t=${played.t0.toFixed(2)} s)`);
  check(Math.abs(played.after - 1.5) < 0.3, `the video seeks (t=${played.after.toFixed(2)} s of ${played.duration.toFixed(1)})`);
  await shot('05-video');
  await page.keyboard.press('Escape');

  // 6. An album from a selection.
  await page.click('#grid .tile >> nth=0 >> .check');
  await page.click('#grid .tile >> nth=1 >> .check');
  check((await page.textContent('#selection-count')).startsWith('2'), 'two items selected');
  await page.click('#selection [data-action="album"]');
  await page.waitForSelector('#album-picker[open]');
  await page.fill('#picker-new', 'Holiday 2026');
  await page.click('#picker-ok');
  await page.waitForFunction(() => document.querySelector('#toast').textContent.includes('created'));
  await page.goto(`${URL}/albums`);
  await page.waitForSelector('#album-list li');
  check((await page.textContent('#album-list')).includes('Holiday 2026'), 'the album is listed');
  const listed = await page.textContent('#album-list');
  check(listed.includes('2 items'), `with its two items (${listed})`);
  await shot('06-albums');
  await page.click('#album-list a');
  await page.waitForFunction(() => document.querySelectorAll('#grid .tile').length === 2);
  check(true, 'the album page shows its two items');

  // 7. Trash and restore.
  await page.goto(`${URL}/`);
  await page.waitForFunction((n) => document.querySelectorAll('#grid .tile').length === n, FILES.length);
  await page.click('#grid .tile >> nth=0 >> .check');
  await page.click('#selection [data-action="trash"]');
  await page.waitForFunction((n) => document.querySelectorAll('#grid .tile').length === n - 1, FILES.length);
  check(true, 'a trashed item leaves the timeline');
  await page.goto(`${URL}/trash`);
  await page.waitForFunction(() => document.querySelectorAll('#grid .tile').length === 1);
  await shot('07-trash');
  await page.click('#grid .tile >> nth=0 >> .check');
  await page.click('#selection [data-action="restore"]');
  await page.waitForFunction(() => document.querySelectorAll('#grid .tile').length === 0);
  await page.goto(`${URL}/`);
  await page.waitForFunction((n) => document.querySelectorAll('#grid .tile').length === n, FILES.length);
  check(true, 'restored from the trash');

  // Favourites and the archive.
  await page.goto(`${URL}/favorites`);
  await page.waitForFunction(() => document.querySelectorAll('#grid .tile').length === 1);
  check(true, 'the favourite is on the Favorites page');
  await page.goto(`${URL}/`);
  await page.waitForFunction((n) => document.querySelectorAll('#grid .tile').length === n, FILES.length);
  await page.click('#grid .tile >> nth=0 >> .check');
  await page.click('#selection [data-action="archive"]');
  await page.waitForFunction((n) => document.querySelectorAll('#grid .tile').length === n - 1, FILES.length);
  await page.goto(`${URL}/archive`);
  await page.waitForFunction(() => document.querySelectorAll('#grid .tile').length === 1);
  check(true, 'an archived item leaves the timeline for the Archive');
  await page.click('#grid .tile >> nth=0 >> .check');
  await page.click('#selection [data-action="unarchive"]');
  await page.waitForFunction(() => document.querySelectorAll('#grid .tile').length === 0);
  await page.goto(`${URL}/`);
  await page.waitForFunction((n) => document.querySelectorAll('#grid .tile').length === n, FILES.length);
  check(true, 'and comes back when unarchived');

  // 8. The CSP blocks an injected inline script.
  const blocked = await page.evaluate(async () => {
    const seen = new Promise((r) => document.addEventListener('securitypolicyviolation', (e) => r(e.violatedDirective), { once: true }));
    const s = document.createElement('script');
    s.textContent = 'window.__pwned = true';
    document.body.append(s);
    const directive = await Promise.race([seen, new Promise((r) => setTimeout(() => r(null), 2000))]);
    return { ran: window.__pwned === true, directive };
  });
  check(!blocked.ran, 'an injected inline script does not run');
  check((blocked.directive ?? '').startsWith('script-src'), `the CSP reports it (${blocked.directive})`);

  // 9. Other pages, for the screenshots.
  await page.goto(`${URL}/settings`);
  await page.waitForSelector('#session-list li');
  await shot('08-settings');
  await page.goto(`${URL}/admin`);
  await page.waitForSelector('#users tbody tr');
  // Backups: the store answers; a snapshot taken here shows its age.
  await page.waitForSelector('#backup dd');
  const backupFacts = await page.textContent('#backup');
  check(backupFacts.includes('Answering'), `the admin page shows the backup store answering (${backupFacts})`);
  await page.click('#backup-snapshot');
  await page.waitForFunction(() => /Snapshot \S+ taken/.test(document.querySelector('#backup-result').textContent));
  await page.waitForFunction(() => document.querySelector('#backup').textContent.includes(' s ago ('));
  check((await page.textContent('#backup')).includes('Snapshots kept1'), 'the new snapshot is counted on the admin page');
  await shot('09-admin');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${URL}/`);
  await page.waitForSelector('#grid .tile img');
  await shot('10-phone-timeline');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.setViewportSize({ width: 1280, height: 860 });
  await page.goto(`${URL}/`);
  await page.waitForSelector('#grid .tile img');
  await shot('11-dark-timeline');
  // Duplicates and refusals are told apart in the upload list.
  await page.goto(`${URL}/`);
  await page.waitForSelector('#grid .tile');
  await page.setInputFiles('#file-input', [FILES[0]]);
  await page.waitForSelector('#upload-list li[data-state="duplicate"]');
  check(true, 'uploading the same photo again says it is already there');
  // Drag and drop: the overlay shows while dragging; the dropped file is
  // uploaded like a chosen one (this one is already there).
  const dropped = [...readFileSync(FILES[0])];
  const dt = await page.evaluateHandle((bytes) => {
    const d = new DataTransfer();
    d.items.add(new File([new Uint8Array(bytes)], 'dropped.jpg', { type: 'image/jpeg' }));
    return d;
  }, dropped);
  await page.dispatchEvent('body', 'dragenter', { dataTransfer: dt });
  check(await page.isVisible('#drop'), 'dragging files over the page shows the drop zone');
  await page.dispatchEvent('body', 'drop', { dataTransfer: dt });
  await page.waitForFunction(() => document.querySelectorAll('#upload-list li[data-state="duplicate"]').length === 2);
  check(!(await page.isVisible('#drop')), 'a drop uploads the file and hides the drop zone');
  await page.setInputFiles('#file-input', { name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('just some text, not a photo') });
  await page.waitForSelector('#upload-list li[data-state="failed"]');
  const why = await page.textContent('#upload-list li[data-state="failed"] .state');
  check(/photo or video/i.test(why), `a non-photo is refused with a human reason (“${why}”)`);

  // An album cover chosen in the viewer.
  await page.goto(`${URL}/albums`);
  await page.click('#album-list a');
  await page.waitForFunction(() => document.querySelectorAll('#grid .tile').length === 2);
  await page.click('#grid .tile >> nth=1');
  await page.waitForSelector('#viewer[open]');
  const coverId = await page.$eval('#view-download', (a) => a.getAttribute('href').split('/')[4]);
  await page.click('#view-cover');
  await page.waitForFunction(() => document.querySelector('#toast').textContent.includes('cover'));
  await page.goto(`${URL}/albums`);
  await page.waitForSelector('#album-list .cover img');
  const coverSrc = await page.getAttribute('#album-list .cover img', 'src');
  check(coverSrc.includes(coverId), 'the chosen cover shows in the album list');

  // An API token from the settings page.
  await page.goto(`${URL}/settings`);
  await page.fill('#token-name', 'My phone');
  await page.selectOption('#token-scope', 'upload');
  await page.click('#token-form button[type=submit]');
  await page.waitForSelector('#token-new:not([hidden])');
  check(/: \S{32,}$/.test(await page.textContent('#token-new')), 'a new API token is shown once');
  await page.waitForFunction(() => document.querySelector('#token-list').textContent.includes('My phone'));
  check(true, 'and listed by name and scope');

  // 10. A resumable (tus) upload: files over 32 MiB go up in 8 MiB pieces.
  const big = env('PU_BIG_FILE', '');
  if (big) {
    await page.setViewportSize({ width: 1280, height: 860 });
    await page.goto(`${URL}/`);
    await page.waitForSelector('#grid .tile');
    const before = await page.$$eval('#grid .tile', (t) => t.length);
    await page.setInputFiles('#file-input', [big]);
    await page.waitForFunction(() => document.querySelector('#upload-list li')?.dataset.state === 'done', null, { timeout: 120000 });
    await page.waitForFunction((n) => document.querySelectorAll('#grid .tile').length === n + 1, before, { timeout: 30000 });
    check(true, 'a 40 MiB file went up through the resumable protocol and joined the timeline');

    // Cancel: on a slow link (2 MiB/s), stop a large upload midway.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 2 * 1024 * 1024 });
    await page.goto(`${URL}/`);
    await page.waitForSelector('#grid .tile');
    const count = await page.$$eval('#grid .tile', (t) => t.length);
    await page.setInputFiles('#file-input', { name: 'other.mp4', mimeType: 'video/mp4', buffer: Buffer.concat([readFileSync(big).subarray(0, 36 << 20), Buffer.from('different tail')]) });
    await page.waitForFunction(() => Number(document.querySelector('#upload-list li progress')?.value) > 0, null, { timeout: 60000 });
    await page.click('#upload-list li button');
    await page.waitForSelector('#upload-list li[data-state="cancelled"]');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await new Promise((r) => setTimeout(r, 1500));
    await page.goto(`${URL}/`);
    await page.waitForSelector('#grid .tile');
    check((await page.$$eval('#grid .tile', (t) => t.length)) === count, 'a cancelled upload adds nothing');
  }

  // Sign in with a recovery code instead of the authenticator.
  await page.click('#sign-out');
  await page.waitForURL(/\/login$/);
  await page.fill('#email', EMAIL);
  await page.fill('#password', NEW_PASSWORD);
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#step-code:not([hidden])');
  await page.click('#step-code summary');
  await page.fill('#recovery', recovery);
  await page.click('#login button[type=submit]');
  await page.waitForURL(`${URL}/`);
  check(true, 'signed in with a recovery code');

  // Many items: infinite scroll, the month scrubber, emptying the trash.
  const many = env('PU_MANY', '');
  if (many) {
    const list = many.split(':');
    await page.goto(`${URL}/`);
    await page.waitForSelector('#grid .tile');
    const start = await page.$$eval('#grid .tile', (t) => t.length);
    await page.setInputFiles('#file-input', list);
    await page.waitForFunction((n) => document.querySelectorAll('#upload-list li[data-state="done"]').length >= n, list.length, { timeout: 180000 });
    // wait for the pipeline to process them all (it places them by capture date)
    // (waitForFunction would take the returned promise for a truthy value)
    for (let i = 0; ; i++) {
      const pending = await page.evaluate(async () => {
        const { items } = await (await fetch('/api/v1/assets?limit=500')).json();
        return items.filter((a) => a.media.state === 'pending').length;
      });
      if (pending === 0) break;
      if (i > 240) throw new Error(`${pending} items still pending after 4 minutes`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const t0 = Date.now();
    await page.goto(`${URL}/`);
    // the first screen: every tile in the viewport (lazy loading skips the
    // rest; a file the pipeline could not read keeps its placeholder)
    let screen = null;
    for (let i = 0; i < 150; i++) {
      screen = await page.evaluate(() => {
        const imgs = [...document.querySelectorAll('#grid .tile:not([data-state="failed"]) img')]
          .filter((im) => im.getBoundingClientRect().top < innerHeight);
        const bad = imgs.filter((im) => !(im.complete && im.naturalWidth > 16));
        return { n: imgs.length, bad: bad.map((im) => `${im.naturalWidth}:${im.complete}:${im.getAttribute('src').slice(-40)}`) };
      });
      if (screen.n >= 6 && screen.bad.length === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    check(screen.n >= 6 && screen.bad.length === 0, `the first screen's thumbnails load (${screen.n} on screen; waiting: ${screen.bad.join(' ')})`);
    const firstScreen = Date.now() - t0;
    const tilesOnScreen = screen.n;
    const dcl = await page.evaluate(() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd);
    console.log(`timing: DOMContentLoaded ${dcl.toFixed(0)} ms; the ${tilesOnScreen} thumbnails of the first screen shown ${firstScreen} ms after navigation`);
    check(firstScreen < 10000, 'the first screen of thumbnails shows within 10 s');
    const first = await page.$$eval('#grid .tile', (t) => t.length);
    check(first < start + list.length, `the first load shows one page (${first} items)`);
    const pages = await page.evaluate(async () => {
      const seen = [];
      let cursor = null;
      for (let i = 0; i < 5; i++) {
        const q = new URLSearchParams({ limit: '120' });
        if (cursor) q.set('cursor', cursor);
        const p = await (await fetch(`/api/v1/assets?${q}`)).json();
        seen.push(...p.items.map((x) => x.id));
        cursor = p.next_cursor;
        if (!cursor) break;
      }
      return { total: seen.length, unique: new Set(seen).size };
    });
    check(pages.total === pages.unique && pages.total === start + list.length, `the API pages hold every item once (${pages.total} / ${pages.unique})`);
    let shown = 0;
    for (let i = 0; i < 60 && shown !== start + list.length; i++) {
      await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
      await new Promise((r) => setTimeout(r, 300));
      shown = await page.$$eval('#grid .tile', (t) => t.length);
    }
    check(shown === start + list.length, `scrolling loads the rest (${shown} of ${start + list.length} items)`);
    const months = await page.$$eval('#scrubber button', (b) => b.map((x) => x.textContent));
    check(months.length >= 5, `the scrubber lists the months (${months.join(', ')})`);
    const target = months[months.length - 2];
    await page.click(`#scrubber button >> nth=${months.length - 2}`);
    await page.waitForFunction((m) => document.querySelector('#grid .month h2')?.textContent === m, target);
    check(true, `the scrubber jumps to ${target}`);
    // Empty the trash (a confirmation first).
    await page.goto(`${URL}/`);
    await page.waitForSelector('#grid .tile');
    await page.click('#grid .tile >> nth=0 >> .check');
    await page.click('#selection [data-action="trash"]');
    await page.goto(`${URL}/trash`);
    await page.waitForFunction(() => document.querySelectorAll('#grid .tile').length === 1);
    page.once('dialog', (d) => d.accept());
    await page.click('#empty-trash');
    await page.waitForFunction(() => document.querySelectorAll('#grid .tile').length === 0);
    check(true, 'the trash is emptied after a confirmation');
  }

  // A video browsers cannot play (HEVC) plays from its transcoded copy.
  const hevc = env('PU_HEVC', '');
  if (hevc) {
    await page.goto(`${URL}/`);
    await page.waitForSelector('#grid .tile');
    await page.setInputFiles('#file-input', [hevc]);
    await page.waitForSelector('#upload-list li[data-state="done"]');
    let id = null;
    for (let i = 0; i < 180 && !id; i++) {
      id = await page.evaluate(async () => {
        const { items } = await (await fetch('/api/v1/assets?kind=video&limit=50')).json();
        const v = items.find((a) => a.metadata?.video_codec === 'hevc');
        if (!v) return null;
        const r = await fetch(`/api/v1/assets/${v.id}/playback`, { headers: { range: 'bytes=0-63' } });
        const head = new Uint8Array(await r.arrayBuffer());
        // the transcode is ready when the playback file is not the original
        const orig = new Uint8Array(await (await fetch(`/api/v1/assets/${v.id}/original`, { headers: { range: 'bytes=0-63' } })).arrayBuffer());
        return head.some((b, i) => b !== orig[i]) ? v.id : null;
      });
      if (!id) await new Promise((r) => setTimeout(r, 1000));
    }
    check(!!id, 'an HEVC video gets a transcoded copy');
    const result = await page.evaluate(async (vid) => {
      const v = document.createElement('video');
      v.muted = true;
      v.src = `/api/v1/assets/${vid}/playback`;
      document.body.append(v);
      await v.play();
      await new Promise((r) => setTimeout(r, 500));
      const t0 = v.currentTime;
      v.currentTime = 1.0;
      await new Promise((r) => v.addEventListener('seeked', r, { once: true }));
      const out = { t0, after: v.currentTime, duration: v.duration, error: v.error?.code ?? null, w: v.videoWidth };
      v.remove();
      return out;
    }, id);
    check(result.error === null && result.t0 > 0, `the transcoded copy plays in Chromium (t=${result.t0.toFixed(2)} s, ${result.w} px wide)`);
    check(Math.abs(result.after - 1.0) < 0.3, `and seeks (t=${result.after.toFixed(2)} s of ${result.duration})`);
  }

  // 11. Accessibility: axe-core on the main pages (a second context that
  // may inject the checker: the app's own CSP would refuse it).
  const cookies = await context.cookies();
  const audit = await browser.newContext({ ignoreHTTPSErrors: true, bypassCSP: true, viewport: { width: 1280, height: 860 } });
  await audit.addCookies(cookies);
  const a11y = await audit.newPage();
  for (const path of ['/', '/albums', '/trash', '/settings', '/admin']) {
    await a11y.goto(`${URL}${path}`);
    await a11y.waitForLoadState('networkidle');
    await a11y.addScriptTag({ path: 'e2e/node_modules/axe-core/axe.min.js' });
    const found = await a11y.evaluate(async () => {
      const r = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa'] });
      return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
    });
    check(found.length === 0, `no serious accessibility violations on ${path} ${found.join(' | ')}`);
  }
  await audit.close();

  check(pageErrors.length === 0, `no script errors on any page ${pageErrors.join(' | ')}`);
  console.log('all checks passed');
} finally {
  await browser.close();
}
