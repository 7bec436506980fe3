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
    ['Audit public key', s.audit_public_key ?? '—'],
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
// Taking a role away (back to user) takes one administrator; giving one is
// a request that a second administrator approves.
function roleCell(u) {
  const select = el('select', { 'aria-label': `Role of ${u.email ?? 'this account'}` },
    ...ROLES.map((r) => el('option', { value: r, selected: r === u.role, text: r })));
  select.addEventListener('change', async () => {
    const role = select.value;
    select.value = u.role;
    try {
      if (role === 'user') {
        await api('PATCH', `/admin/users/${u.id}`, { role });
        toast('Role taken away; that account\'s sessions were ended');
        users().catch(err);
        return;
      }
      const reason = prompt(`Why should ${u.email ?? 'this account'} hold the ${role} role? (A second administrator decides.)`);
      if (!reason) return;
      const days = prompt('For how many days? (1–365; empty for the default)');
      if (days === null) return;
      await api('POST', '/admin/role-requests', { user_id: u.id, role, reason, ...(days.trim() ? { days: Number(days) } : {}) });
      toast('Request made: a second administrator must approve it');
      roleRequests().catch(err);
    } catch (e) { toast(e.message); }
  });
  const until = u.role !== 'user' && u.role_expires_at ? el('small', { text: ` until ${dateTime(u.role_expires_at * 1000)}` }) : null;
  return el('td', {}, select, until);
}

async function roleRequests() {
  const [{ items }, { items: accounts }, me] = await Promise.all([
    api('GET', '/admin/role-requests'), api('GET', '/admin/users'), api('GET', '/auth/me')]);
  const who = (id) => (id === 'break-glass' ? 'the key shares (break-glass)' : accounts.find((a) => a.id === id)?.email ?? id);
  const span = (s) => (s >= 86400 ? `${Math.round(s / 86400)} days` : `${Math.round(s / 3600)} hours`);
  const decide = (r, verb) => async () => {
    try { await api('POST', `/admin/role-requests/${r.id}/${verb}`); toast(verb === 'approve' ? 'Approved: the role holds from their next sign-in' : 'Done'); roleRequests().catch(err); users().catch(err); } catch (e) { toast(e.message); }
  };
  const recent = items.filter((r) => r.state === 'pending' || Date.now() / 1000 - r.created_at < 30 * 86400);
  $('#role-requests').replaceChildren(...recent.map((r) => {
    const mine = r.requested_by === me.id || r.user_id === me.id;
    return el('li', {},
      el('span', { text: `${who(r.user_id)} → ${r.role} for ${span(r.duration_secs)}, asked by ${who(r.requested_by)}: “${r.reason ?? '—'}” — ${r.state}${r.state === 'pending' ? ` (lapses ${dateTime(r.expires_at * 1000)})` : ''}` }),
      r.state === 'pending' && !mine ? el('button', { type: 'button', class: 'primary', text: 'Approve', onclick: decide(r, 'approve') }) : null,
      r.state === 'pending' && r.user_id !== me.id ? el('button', { type: 'button', text: r.requested_by === me.id ? 'Withdraw' : 'Refuse', onclick: decide(r, 'reject') }) : null);
  }));
  if (!recent.length) $('#role-requests').replaceChildren(el('li', {}, 'No role requests.'));
  // Every privileged role ends; say so well before it does.
  if (me.role_expires_at && me.role_expires_at - Date.now() / 1000 < 14 * 86400) {
    $('#role-requests').prepend(el('li', { class: 'danger', text: `Your ${me.role} role ends ${dateTime(me.role_expires_at * 1000)}. Ask another administrator to renew it (or, alone, use \`pixelunion admin break-glass\` with the key shares).` }));
  }
}

function deleteButton(u) {
  return el('button', { type: 'button', class: 'danger', text: 'Delete', 'aria-label': `Delete ${u.email ?? 'this account'}`, onclick: async () => {
    const typed = prompt(`Delete ${u.email ?? 'this account'}? It is closed at once and purged after the grace period. Type "delete this account" to confirm.`);
    if (typed === null) return;
    try {
      await api('POST', `/admin/users/${u.id}/deletion`, { confirm: typed });
      toast('Account closed; it will be purged after the grace period');
      users().catch(err);
      deletions().catch(err);
    } catch (e) { toast(e.message); }
  } });
}

async function users() {
  const { items } = await api('GET', '/admin/users');
  $('#users tbody').replaceChildren(...items.map((u) => el('tr', {},
    el('td', { text: u.email ?? '—' }),
    may('manage') ? roleCell(u) : el('td', { text: u.role }),
    el('td', { text: u.mfa_enrolled ? 'Yes' : 'No' }),
    el('td', {}, u.disabled ? 'Disabled' : (u.last_login_at ? `Last sign-in ${dateTime(u.last_login_at * 1000)}` : 'Never signed in'),
      may('manage') && !u.disabled ? deleteButton(u) : null))));
}

async function deletions() {
  const [{ items }, { items: accounts }] = await Promise.all([api('GET', '/admin/deletions'), api('GET', '/admin/users')]);
  const email = (id) => accounts.find((a) => a.id === id)?.email ?? id;
  $('#deletions').replaceChildren(...items.map((d) => el('li', {},
    el('span', { text: `${email(d.user_id)} — ${d.by_owner ? 'asked by the owner' : 'by an administrator'}; purged ${dateTime(d.purge_after * 1000)}` }),
    el('button', { type: 'button', text: 'Stop the deletion', onclick: async () => {
      try { await api('DELETE', `/admin/users/${d.user_id}/deletion`); toast('Deletion stopped; the account is enabled again'); deletions().catch(err); users().catch(err); } catch (e) { toast(e.message); }
    } }))));
  if (!items.length) $('#deletions').replaceChildren(el('li', {}, 'None pending.'));
}

// --- the audit trail (security officers): integrity, checkpoints, export
function auditReport(r) {
  const facts = [
    ['Integrity', r.ok ? 'Intact: every MAC and checkpoint holds' : `${r.problem_count} PROBLEM(S) FOUND`],
    ['Entries', `${r.entries} (${r.verified} verified${r.before_chain ? `, ${r.before_chain} from before the chain` : ''})`],
    ['Sequence', r.first_seq == null ? '—' : `${r.first_seq} … ${r.last_seq}`],
    ['Checkpoints checked', String(r.checkpoints)],
    ['Newest checkpoint', r.latest_checkpoint == null ? 'none yet' : `entry ${r.latest_checkpoint} (${r.after_checkpoint} newer entries not covered yet)`],
    ['Waiting to be chained', String(r.pending)],
  ];
  $('#audit-report').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));
  $('#audit-problems').replaceChildren(...r.problems.map((p) => el('li', { text: `entry ${p.seq}: ${p.kind} — ${p.detail}` })));
}

async function auditEvents() {
  const { items } = await api('GET', '/audit/events');
  $('#audit-events tbody').replaceChildren(...items.slice(0, 50).map((e) => el('tr', {},
    el('td', { text: dateTime(e.at * 1000) }), el('td', { text: e.action }), el('td', { text: e.outcome }),
    el('td', { text: e.actor ?? '—' }), el('td', { text: e.target ?? '—' }))));
}

if (may('incidents')) {
  $('#audit-verify').addEventListener('click', async () => {
    try { auditReport(await api('GET', '/audit/verify')); await auditEvents(); } catch (e) { err(e); }
  });
  $('#audit-checkpoint').addEventListener('click', async () => {
    try {
      const r = await api('POST', '/audit/checkpoints');
      toast(r.checkpoint ? `Checkpoint signed at entry ${r.checkpoint.seq}` : 'Nothing new since the last checkpoint');
      auditReport(await api('GET', '/audit/verify'));
    } catch (e) { err(e); }
  });
  $('#audit-export').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    if ($('#audit-since').value) q.set('since', $('#audit-since').value);
    if ($('#audit-until').value) q.set('until', $('#audit-until').value);
    const a = el('a', { href: `/api/v1/audit/export?${q}`, download: 'pixelunion-audit.jsonl' });
    document.body.append(a);
    a.click();
    a.remove();
  });
}

// --- incidents (security officers)
let current = null;
const hours = (s) => `${Math.floor(Math.abs(s) / 3600)} h ${Math.floor((Math.abs(s) % 3600) / 60)} min`;
function clockLine(c) {
  if (!c) return 'No breach confirmed';
  if (c.notified_at) return `Notified ${dateTime(c.notified_at * 1000)}`;
  return c.overdue ? `OVERDUE by ${hours(c.seconds_left)} — notify now` : `${hours(c.seconds_left)} left to notify (72-hour deadline ${dateTime(c.deadline_at * 1000)})`;
}

// --- access reviews (security officers) and their flag (admins)
async function reviewFlag() {
  const st = await api('GET', '/admin/access-reviews/status');
  $('#review-flag').textContent = st.overdue
    ? `An access review is OVERDUE (was due ${dateTime(st.due_at * 1000)}): security officers must finish it.`
    : st.open ? `An access review is open until ${dateTime(st.due_at * 1000)}.`
      : st.next_at ? `Next access review: ${dateTime(st.next_at * 1000)}.` : '';
  $('#review-flag').classList.toggle('danger', !!st.overdue);
}

async function reviews() {
  const { items } = await api('GET', '/audit/access-reviews');
  const open = items.find((r) => !r.closed_at);
  $('#review-open').disabled = !!open;
  $('#reviews').replaceChildren(...items.filter((r) => r.closed_at).slice(0, 8).map((r) => el('li', {},
    el('span', { text: `Finished ${dateTime(r.closed_at * 1000)} (opened ${dateTime(r.opened_at * 1000)})` }),
    el('a', { href: `/api/v1/audit/access-reviews/${r.id}/export?format=csv`, text: 'CSV' }),
    el('a', { href: `/api/v1/audit/access-reviews/${r.id}/export?format=json`, text: 'JSON' }))));
  if (!open) {
    $('#review-summary').textContent = 'No review is open.';
    $('#review-lines tbody').replaceChildren();
    return;
  }
  const r = await api('GET', `/audit/access-reviews/${open.id}`);
  $('#review-summary').textContent = `${r.overdue ? 'OVERDUE — ' : ''}${r.undecided} of ${r.lines.length} line(s) to decide by ${dateTime(r.due_at * 1000)}.`;
  const used = (o) => Object.entries(o || {}).map(([p, t]) => `${p}: ${t ? dateTime(t * 1000) : 'never'}`).join('; ');
  const decide = (l, decision) => async () => {
    try { await api('POST', `/audit/access-reviews/${r.id}/decisions`, { user_id: l.user_id, decision }); reviews().catch(err); } catch (e) { toast(e.message); }
  };
  $('#review-lines tbody').replaceChildren(...r.lines.map((l) => el('tr', {},
    el('td', { text: l.email ?? l.user_id }),
    el('td', { text: l.role_now === l.role ? l.role : `${l.role} (now ${l.role_now})` }),
    el('td', { text: l.last_login_at ? dateTime(l.last_login_at * 1000) : 'never' }),
    el('td', { text: l.mfa_enrolled ? 'Yes' : 'No' }),
    el('td', { text: used(l.last_used) }),
    el('td', {}, l.decision ? l.decision : l.role_now !== l.role ? 'no longer held' : el('span', {},
      el('button', { type: 'button', text: 'Confirm', onclick: decide(l, 'confirm') }),
      el('button', { type: 'button', class: 'danger', text: 'Revoke', onclick: decide(l, 'revoke') }))))));
}

if (may('incidents')) $('#review-open').addEventListener('click', async () => {
  try { await api('POST', '/audit/access-reviews'); reviews().catch(err); } catch (e) { toast(e.message); }
});

async function incidents() {
  const { items } = await api('GET', '/incidents');
  const running = items.filter((i) => i.clock && !i.clock.notified_at);
  $('#breach-clocks').textContent = running.length
    ? running.map((i) => `${i.details.title}: ${clockLine(i.clock)}`).join(' · ')
    : 'No breach notification is due.';
  $('#incidents').replaceChildren(...items.map((i) => el('li', { 'data-id': i.id },
    el('span', { text: `${i.details.title} — ${i.severity}, ${i.status}; ${clockLine(i.clock)}` }),
    el('button', { type: 'button', text: 'Open', onclick: () => incident(i.id).catch(err) }))));
}

async function incident(id) {
  current = id;
  const v = await api('GET', `/incidents/${id}`);
  $('#incident').hidden = false;
  $('#incident-title').textContent = v.details.title;
  const facts = [
    ['Severity', v.severity], ['Status', v.status], ['Detected', dateTime(v.detected_at * 1000)],
    ['Summary', v.details.summary || '—'], ['Breach', clockLine(v.clock)],
    ['Affected accounts recorded', String(v.affected_accounts)],
    ['E-mail', v.email_configured ? 'configured' : 'NOT configured: notifications are recorded but not sent'],
  ];
  $('#incident-facts').replaceChildren(...facts.flatMap(([k, x]) => [el('dt', { text: k }), el('dd', { text: x })]));
  const b = v.details.breach;
  $('#br-nature').value = b.nature; $('#br-categories').value = b.categories.join(', ');
  $('#br-records').value = b.records ?? ''; $('#br-consequences').value = b.consequences; $('#br-measures').value = b.measures;
  $('#inc-status').value = v.status;
  $('#inc-systems').value = v.details.affected_systems.join(', ');
  $('#inc-note').value = '';
  const rv = v.details.review;
  $('#rv-cause').value = rv.cause; $('#rv-lessons').value = rv.lessons; $('#rv-actions').value = rv.actions;
  $('#inc-timeline').replaceChildren(...v.timeline.map((t) => el('li', {}, el('span', { text: `${t.kind}${t.note ? ': ' + t.note : ''}` }), el('time', { text: dateTime(t.at * 1000) }))));
  $('#inc-messages').replaceChildren(...v.messages.map((m) => el('li', { 'data-state': m.state },
    el('span', { text: `${m.audience} → ${m.recipient ?? 'the affected account'}: ${m.state}${m.detail ? ' (' + m.detail + ')' : ''}` }))));
  const d = await api('GET', `/incidents/${id}/notifications`);
  $('#inc-draft').textContent = `${d.missing.length ? 'Still missing: ' + d.missing.join(', ') + '\n\n' : ''}To ${d.users.recipients} user(s) and ${d.authority.recipients} authority address(es):\n\n${d.users.subject}\n\n${d.users.body}`;
}

async function incidentAction(run, done) {
  if (!current) return;
  try { const r = await run(current); toast(done(r)); await incident(current); await incidents(); } catch (e) { toast(e.message); }
}

if (may('incidents')) {
  $('#incident-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const v = await api('POST', '/incidents', { title: $('#inc-title').value.trim(), severity: $('#inc-severity').value, summary: $('#inc-summary').value });
      ev.target.reset();
      await incidents();
      await incident(v.id);
    } catch (e) { toast(e.message); }
  });
  $('#inc-breach').addEventListener('click', () => incidentAction((id) => api('POST', `/incidents/${id}/breach`), () => 'Breach confirmed: the 72-hour clock runs'));
  $('#inc-affected').addEventListener('click', () => {
    const network = prompt('Address range of the accounts affected (e.g. 203.0.113.0/24); they are recorded for the notifications');
    if (!network) return;
    incidentAction((id) => api('POST', `/incidents/${id}/affected`, { network, record: true }), (r) => `${r.items.length} account(s) found and recorded`);
  });
  const contain = (action, label) => () => {
    if (!confirm(`${label}? This is recorded on the incident and the audit trail.`)) return;
    incidentAction((id) => api('POST', `/incidents/${id}/containment`, { action }), (r) => r.done);
  };
  $('#inc-revoke').addEventListener('click', contain('revoke-tokens', 'Revoke every API token'));
  $('#inc-sessions').addEventListener('click', contain('end-sessions', 'End every session (yours too)'));
  $('#inc-rotate').addEventListener('click', contain('rotate-keyring', 'Rotate the keyring'));
  $('#inc-seal').addEventListener('click', contain('seal', 'Seal the server (it stops serving until unsealed with the shares)'));
  $('#breach-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const records = $('#br-records').value;
    incidentAction((id) => api('PATCH', `/incidents/${id}`, { breach: {
      nature: $('#br-nature').value, categories: $('#br-categories').value.split(',').map((c) => c.trim()).filter(Boolean),
      records: records === '' ? null : Number(records), consequences: $('#br-consequences').value, measures: $('#br-measures').value,
    } }), () => 'Breach facts saved');
  });
  $('#handling-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const note = $('#inc-note').value.trim();
    incidentAction((id) => api('PATCH', `/incidents/${id}`, {
      status: $('#inc-status').value,
      affected_systems: $('#inc-systems').value.split(',').map((x) => x.trim()).filter(Boolean),
      ...(note ? { note } : {}),
    }), () => 'Incident saved');
  });
  $('#review-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    incidentAction((id) => api('PATCH', `/incidents/${id}`, { review: {
      cause: $('#rv-cause').value, lessons: $('#rv-lessons').value, actions: $('#rv-actions').value,
    } }), () => 'Review saved');
  });
  $('#inc-notify').addEventListener('click', () => incidentAction(
    (id) => api('POST', `/incidents/${id}/notifications`, { audiences: ['users', 'authority'] }),
    (r) => `Notifications: ${r.sent} sent, ${r.failed} failed${r.not_configured ? `, ${r.not_configured} not sent (no e-mail server configured)` : ''}`,
  ));
}

if (may('manage')) {
  $('#invite-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const email = $('#invite-email').value.trim();
      const r = await api('POST', '/admin/invites', { role: 'user', ...(email ? { email } : {}) });
      $('#invite-new').hidden = false;
      $('#invite-link').textContent = r.link;
      ev.target.reset();
    } catch (e) { err(e); }
  });
  $('#invite-copy').addEventListener('click', () => copyText($('#invite-link').textContent, 'Invitation link copied'));
}

// --- policies (administrators): the versions in force, and a new one.
let policyTexts = {};
async function policies() {
  const { items } = await api('GET', '/policies');
  policyTexts = Object.fromEntries(items.map((p) => [p.kind, p.text]));
  const name = (k) => (k === 'privacy' ? 'Privacy policy' : 'Security policy');
  $('#policy-versions').replaceChildren(...(items.length
    ? items.map((p) => el('li', { text: `${name(p.kind)}: version ${p.version}, published ${dateTime(p.published_at * 1000)}` }))
    : [el('li', { text: 'No policy published yet.' })]));
  // start from the text in force, to be edited
  if (!$('#policy-text').value) $('#policy-text').value = policyTexts[$('#policy-kind').value] ?? '';
}
if (may('manage')) {
  $('#policy-kind').addEventListener('change', () => { $('#policy-text').value = policyTexts[$('#policy-kind').value] ?? ''; });
  $('#policy-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const kind = $('#policy-kind').value;
    const text = $('#policy-text').value;
    if (text.trim() === (policyTexts[kind] ?? '').trim()) { toast('This is the text already in force: change it first'); return; }
    if (!confirm(`Publish this as the new ${kind} policy? Everyone will be asked to read it.`)) return;
    try {
      const v = await api('POST', '/admin/policies', { kind, text });
      toast(`Version ${v.version} published`);
      policies().catch(err);
    } catch (e) { toast(e.message); }
  });
}

system().catch(err).then(() => (may('operate') ? storage().catch(err) : null));
if (may('operate')) jobs().catch(err);
if (may('backup')) backup().catch(err);
if (may('accounts')) users().catch(err);
if (may('manage')) deletions().catch(err);
if (may('manage')) roleRequests().catch(err);
if (may('manage')) reviewFlag().catch(err);
if (may('manage')) policies().catch(err);
if (may('incidents')) {
  incidents().catch(err);
  reviews().catch(err);
  api('GET', '/audit/verify').then(auditReport).catch(err);
  auditEvents().catch(err);
}
