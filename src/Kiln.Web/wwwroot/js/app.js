// Progressive enhancement shared by every page: live job badges and small conveniences. Pages work without it.
import { api, finished } from './api.js';

function liveBadges() {
  // Pages with the live channel (dashboard, jobs list) hear every change from /api/events instead of polling.
  if (document.getElementById('live-events')) {
    import('./live.js');
    return;
  }
  const pending = () => [...document.querySelectorAll('[data-live-status]')].filter((b) => !finished(b.dataset.status));
  if (pending().length === 0 || document.getElementById('job-live')) return;
  const tick = async () => {
    const badges = pending();
    if (badges.length === 0) return;
    await Promise.all(badges.map(async (badge) => {
      try {
        const job = await api('GET', `/api/jobs/${badge.dataset.liveStatus}`);
        setBadge(badge, job.status);
        const progress = document.querySelector(`[data-live-progress="${job.id}"]`);
        if (progress) progress.textContent = `${job.progress} %`;
      } catch { /* a missed poll is retried on the next tick */ }
    }));
    setTimeout(tick, document.hidden ? 10000 : 2000);
  };
  setTimeout(tick, 1500);
}

export function setBadge(badge, status) {
  badge.textContent = status;
  badge.dataset.status = status;
  badge.className = `badge badge-${status}`;
}

document.addEventListener('focusin', (e) => {
  if (e.target instanceof HTMLInputElement && e.target.hasAttribute('data-select-on-focus')) e.target.select();
});

liveBadges();
