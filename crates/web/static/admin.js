// Administration: system state, job counts and failures, accounts, invites.
// Only states and counts: the API gives no content to any role.
import { api, $, el, toast, wireSignOut, dateTime, bytes, copyText } from './api.js';

wireSignOut();
const err = (e) => { $('#admin-error').textContent = e.message; };
// What this role may read (the page shows only those cards; nothing else
// is asked for).
const can = { ...$('#admin').dataset };
const may = (k) => can[k] === 'true';

async function system() {
  const s = await fetch('/api/v1/sys/status').then((r) => r.json());
  const facts = [
    ['State', s.sealed ? 'Sealed (locked)' : 'Unsealed'],
    ['Key shares needed', String(s.threshold)],
    ['Version', s.version ?? '—'],
  ];
  if (may('backup')) {
    const f = await api('GET', '/sys/firewall');
    facts.push(['Firewall rules', `${f.rules_version} (${f.rules} rules, paranoia ${f.paranoia}, ${f.mode})`],
      ['Requests refused', `${f.blocked} refused, ${f.flagged} flagged since start`]);
  }
  $('#system').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));
}

async function storage() {
  const s = await api('GET', '/admin/storage');
  const facts = [
    ['Stored', `${bytes(s.bytes)} in ${s.assets} items (all accounts)`],
    ['Backup copies waiting', String(s.replication.queued)],
    ['Backup copies failed', String(s.replication.dead)],
  ];
  $('#system').append(...facts.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));
}

async function jobs() {
  const r = await api('GET', '/admin/jobs');
  $('#jobs tbody').replaceChildren(...r.counts.map((c) => el('tr', {},
    el('td', { text: c.kind }), el('td', { text: c.state }), el('td', { text: String(c.count) }))));
  if (!r.counts.length) $('#jobs tbody').append(el('tr', {}, el('td', { colspan: '3', text: 'No jobs queued.' })));
  $('#dead-jobs').replaceChildren(...r.dead.map((d) => el('li', {},
    el('span', { text: `${d.kind} failed after ${d.attempts} attempts: ${d.reason ?? 'no reason recorded'}` }))));
}

const ago = (secs) => (secs < 120 ? `${secs} s ago` : secs < 7200 ? `${Math.round(secs / 60)} min ago` : `${Math.round(secs / 3600)} h ago`);

function verifyLine(v) {
  if (!v) return 'Never verified';
  const d = v.details || {};
  const when = v.at ? dateTime(v.at) : '';
  if (v.ok) return `Clean (${d.intact ?? 0} of ${d.referenced ?? 0} copies intact) ${when}`;
  return `PROBLEMS: ${d.missing ?? 0} missing, ${d.corrupt ?? 0} corrupt, ${d.orphaned ?? 0} orphaned, ${d.unauthentic ?? 0} fail to decrypt — ${when}`;
}

async function backup() {
  const b = await api('GET', '/sys/backup');
  const last = b.last_snapshot;
  const facts = [
    ['Backup store', b.backup_store === 'ok' ? 'Answering' : 'DEGRADED: not answering (uploads go on; copies wait)'],
    ['Last snapshot', last ? `${ago(b.last_snapshot_age_secs)} (${bytes(last.bytes)})` : 'None yet'],
    ['Snapshots kept', String(b.snapshots)],
    ['Copies waiting', b.replication_queued ? `${b.replication_queued} (oldest waiting ${b.replication_lag_secs ?? 0} s)` : 'None'],
    ['Copies failed', String(b.replication_dead)],
    ['Last verification', verifyLine(b.last_verify)],
    ['Repairs from the backup', `${b.repairs} rewritten, ${b.healed_reads} reads served from the backup (since start)`],
  ];
  $('#backup').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));
}

async function backupAction(button, run) {
  button.disabled = true;
  $('#backup-result').textContent = 'Working…';
  try {
    $('#backup-result').textContent = await run();
    await backup();
  } catch (e) { $('#backup-result').textContent = e.message; }
  button.disabled = false;
}

if (may('backup')) $('#backup-snapshot').addEventListener('click', (ev) => backupAction(ev.currentTarget, async () => {
  const t = await api('POST', '/sys/backup/snapshots');
  return `Snapshot ${t.id} taken: ${bytes(t.bytes)} in ${t.took_ms} ms.`;
}));
if (may('backup')) $('#backup-verify').addEventListener('click', (ev) => backupAction(ev.currentTarget, async () => {
  const r = await api('POST', '/sys/backup/verify', { sample: 20 });
  return r.ok ? `Clean: ${r.intact} of ${r.referenced} copies intact, ${r.authenticated} decrypted.`
    : `Problems: ${r.missing} missing, ${r.corrupt} corrupt, ${r.orphaned} orphaned, ${r.unauthentic} fail to decrypt.`;
}));

const ROLES = ['user', 'support', 'operator', 'security', 'admin'];
function roleCell(u) {
  const select = el('select', { 'aria-label': `Role of ${u.email ?? 'this account'}` },
    ...ROLES.map((r) => el('option', { value: r, selected: r === u.role, text: r })));
  select.addEventListener('change', async () => {
    try {
      await api('PATCH', `/admin/users/${u.id}`, { role: select.value });
      toast(`Role changed to ${select.value}; that account's sessions were ended`);
    } catch (e) { select.value = u.role; toast(e.message); }
  });
  return el('td', {}, select);
}

async function users() {
  const { items } = await api('GET', '/admin/users');
  $('#users tbody').replaceChildren(...items.map((u) => el('tr', {},
    el('td', { text: u.email ?? '—' }),
    may('manage') ? roleCell(u) : el('td', { text: u.role }),
    el('td', { text: u.mfa_enrolled ? 'Yes' : 'No' }),
    el('td', { text: u.disabled ? 'Disabled' : (u.last_login_at ? `Last sign-in ${dateTime(u.last_login_at * 1000)}` : 'Never signed in') }))));
}

if (may('manage')) {
  $('#invite-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const email = $('#invite-email').value.trim();
      const r = await api('POST', '/admin/invites', { role: $('#invite-role').value, ...(email ? { email } : {}) });
      $('#invite-new').hidden = false;
      $('#invite-link').textContent = r.link;
      ev.target.reset();
    } catch (e) { err(e); }
  });
  $('#invite-copy').addEventListener('click', () => copyText($('#invite-link').textContent, 'Invitation link copied'));
}

system().catch(err).then(() => (may('operate') ? storage().catch(err) : null));
if (may('operate')) jobs().catch(err);
if (may('backup')) backup().catch(err);
if (may('accounts')) users().catch(err);
