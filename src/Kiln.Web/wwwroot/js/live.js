// The dashboard and the jobs list, live: one EventSource on /api/events (every job of the workspace and its credits).
// Progressive enhancement: the pages are complete without it. Badges, progress and cost change in place; a job that is
// not on the page yet brings the server-rendered list back (one source of truth for its markup); finished jobs and new
// ones are announced politely, progress ticks are not. EventSource reconnects by itself with Last-Event-ID.
import { finished } from './api.js';
import { setBadge } from './app.js';

const root = document.getElementById('live-events');
if (root && 'EventSource' in window) {
  const announcer = document.getElementById('live-announcer');
  const handled = new Set();
  const short = (id) => String(id).slice(0, 8);
  const announce = (text) => { if (announcer) announcer.textContent = text; };
  const data = (e) => { try { return JSON.parse(e.data); } catch { return {}; } };

  let refresh = null;
  const refreshList = () => {
    refresh ??= new Promise((resolve) => setTimeout(resolve, 250)).then(async () => {
      try {
        const res = await fetch(location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
        const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
        const fresh = doc.getElementById('job-list');
        const current = document.getElementById('job-list');
        if (fresh && current) current.replaceWith(fresh);
      } catch { /* the next event or a reload shows it */ } finally { refresh = null; }
    });
  };

  const onJob = (e) => {
    if (e.lastEventId) {
      if (handled.has(e.lastEventId)) return; // a resumed stream may repeat an event
      if (handled.size > 5000) handled.clear(); // repeats only come from the last few seconds
      handled.add(e.lastEventId);
    }
    const d = data(e);
    if (!d.jobId || !d.status) return;
    const badge = document.querySelector(`[data-live-status="${d.jobId}"]`);
    if (!badge) {
      if (e.type === 'job.queued' && root.dataset.newJobs === 'true') {
        refreshList();
        if (!d.retry) announce(`New job ${short(d.jobId)} (${d.pipeline}) queued.`);
      }
      return;
    }
    if (finished(badge.dataset.status)) return; // a finished job never changes again
    if (badge.dataset.status !== d.status) setBadge(badge, d.status);
    const progress = document.querySelector(`[data-live-progress="${d.jobId}"]`);
    if (progress && typeof d.percent === 'number') progress.textContent = `${d.percent} %`;
    if (finished(d.status)) {
      const cost = document.querySelector(`[data-live-cost="${d.jobId}"]`);
      if (cost && typeof d.cost === 'number') cost.textContent = String(d.cost);
      announce(`Job ${short(d.jobId)} (${d.pipeline}) ${d.status}.`);
    }
  };

  const source = new EventSource(`/api/events?after=${encodeURIComponent(root.dataset.eventsAfter || '0')}`);
  for (const type of ['job.queued', 'job.progress', 'job.succeeded', 'job.failed', 'job.canceled']) source.addEventListener(type, onJob);
  source.addEventListener('credits.changed', (e) => {
    const d = data(e);
    for (const el of document.querySelectorAll('[data-live-credits]')) {
      const value = d[el.dataset.liveCredits];
      if (typeof value === 'number') el.textContent = value.toLocaleString('en-US');
    }
  });
  root.dataset.connected = 'true';
}
