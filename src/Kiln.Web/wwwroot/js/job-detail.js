// Live job view: progress, step, log lines and status over Server-Sent Events. The browser's EventSource reconnects
// by itself and sends Last-Event-ID, so the stream resumes exactly where it broke off.
import { finished } from './api.js';
import { setBadge } from './app.js';

const root = document.getElementById('job-live');
if (root) {
  const id = root.dataset.jobId;
  const bar = document.getElementById('job-progress');
  const percent = document.getElementById('progress-percent');
  const step = document.getElementById('job-step');
  const message = document.getElementById('job-message');
  const log = document.getElementById('job-log');
  const badge = document.querySelector(`[data-live-status="${id}"]`);

  const setProgress = (p) => {
    const v = Math.max(0, Math.min(100, Math.round(p)));
    bar.value = v;
    bar.setAttribute('aria-valuenow', String(v));
    percent.textContent = String(v);
  };

  // After the job ends, the server-rendered cost, timings and results are fetched and swapped in: one source of truth.
  const refreshSections = async () => {
    try {
      const res = await fetch(location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
      const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
      for (const sel of ['#job-cost', '#job-artifacts', '.grid-2', '#job-subtasks']) {
        const fresh = doc.querySelector(sel);
        const current = document.querySelector(sel);
        if (fresh && current) current.replaceWith(fresh);
      }
      const retry = doc.getElementById('retry-form');
      if (retry && !document.getElementById('retry-form')) document.querySelector('#job-live .step')?.after(retry);
      const freshError = doc.getElementById('job-error');
      const error = document.getElementById('job-error');
      if (freshError && error) error.replaceWith(freshError);
    } catch { /* the page still shows the live state; a reload shows the rest */ }
  };

  const onFinished = (status) => {
    document.getElementById('cancel-form')?.remove();
    if (status === 'succeeded') setProgress(100);
    refreshSections();
  };

  if (root.dataset.finished !== 'true') {
    const source = new EventSource(`/api/jobs/${id}/events?after=${root.dataset.lastEventId || 0}`);
    const data = (e) => { try { return JSON.parse(e.data); } catch { return {}; } };
    // Claiming a job emits no status event; the first progress or log line is what says it is running now.
    const markRunning = () => { if (badge && badge.dataset.status === 'queued') setBadge(badge, 'running'); };
    source.addEventListener('progress', (e) => {
      markRunning();
      const d = data(e);
      if (typeof d.percent === 'number') setProgress(d.percent);
      if (d.step) step.textContent = d.step;
      message.textContent = d.message ?? '';
    });
    source.addEventListener('log', (e) => {
      markRunning();
      const li = document.createElement('li');
      li.textContent = data(e).line ?? '';
      const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
      log.append(li);
      if (atBottom) log.scrollTop = log.scrollHeight;
    });
    // One row per language (a subtask); each moves on its own.
    const subtasks = document.getElementById('job-subtasks');
    const subtaskList = document.getElementById('subtask-list');
    const renderSubtask = (d) => {
      if (!subtasks || !d.key) return;
      subtasks.hidden = false;
      let row = subtaskList.querySelector(`[data-subtask="${CSS.escape(d.key)}"]`);
      if (!row) {
        row = document.createElement('li');
        row.className = 'subtask';
        row.dataset.subtask = d.key;
        const name = document.createElement('span');
        name.className = 'subtask-name';
        name.textContent = `${d.label ?? d.key} `;
        const code = document.createElement('span');
        code.className = 'mono muted';
        code.textContent = d.key;
        name.append(code);
        const bar = document.createElement('progress');
        bar.className = 'progress';
        bar.max = 100;
        bar.setAttribute('aria-label', `${d.label ?? d.key} progress`);
        const stage = document.createElement('span');
        stage.className = 'subtask-stage';
        const pct = document.createElement('span');
        pct.className = 'subtask-percent';
        const cost = document.createElement('span');
        cost.className = 'subtask-cost muted';
        const error = document.createElement('span');
        error.className = 'subtask-error';
        error.setAttribute('role', 'status');
        error.hidden = true;
        row.append(name, bar, stage, pct, cost, error);
        subtaskList.append(row);
      }
      row.dataset.stage = d.stage ?? '';
      row.querySelector('progress').value = Math.max(0, Math.min(100, d.progress ?? 0));
      row.querySelector('.subtask-stage').textContent = d.stage ?? '';
      row.querySelector('.subtask-percent').textContent = `${d.progress ?? 0} %`;
      row.querySelector('.subtask-cost').textContent = `${d.cost ?? 0} credit${d.cost === 1 ? '' : 's'}`;
      const err = row.querySelector('.subtask-error');
      err.textContent = d.error ?? '';
      err.hidden = !d.error;
      const rows = subtaskList.querySelectorAll('.subtask');
      document.getElementById('subtasks-total').textContent = String(rows.length);
      document.getElementById('subtasks-done').textContent = String([...rows].filter((r) => r.dataset.stage === 'done').length);
    };
    source.addEventListener('subtask', (e) => { markRunning(); renderSubtask(data(e)); });
    source.addEventListener('status', (e) => {
      const d = data(e);
      if (!d.status) return;
      if (badge) setBadge(badge, d.status);
      step.textContent = d.status === 'queued' && d.retry ? 'waiting to retry' : d.status;
      if (d.status === 'failed' && d.message) {
        const error = document.getElementById('job-error');
        error.textContent = d.message;
        error.hidden = false;
      }
      if (finished(d.status)) onFinished(d.status);
    });
    source.addEventListener('end', () => {
      source.close();
      root.dataset.finished = 'true';
      refreshSections();
    });
  }
}

// The retention countdown ("deleted in 47 h 12 min") keeps counting while the page is open.
const countdown = document.getElementById('retention-countdown');
if (countdown) {
  const expires = Date.parse(countdown.dataset.expires);
  const tick = () => {
    const left = Math.max(0, expires - Date.now());
    const h = Math.floor(left / 3_600_000);
    const m = Math.floor((left % 3_600_000) / 60_000);
    countdown.textContent = left <= 60_000 ? 'in a few minutes' : `in ${h} h ${m} min`;
  };
  tick();
  setInterval(tick, 30_000);
}
