// The sealed page: polls the status and reloads once unsealed.
const progress = document.querySelector('#unseal-progress');
async function poll() {
  try {
    const r = await fetch('/api/v1/sys/status', { credentials: 'same-origin' });
    const s = await r.json();
    if (!s.sealed) { location.reload(); return; }
    if (progress) progress.textContent = `Key shares entered: ${s.progress} of ${s.threshold}.`;
  } catch { /* server restarting */ }
  setTimeout(poll, 3000);
}
if (progress) poll();
