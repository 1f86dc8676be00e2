// New job page: upload with progress or fetch from a link, and a live cost estimate as options change. Without JS the
// form still posts (the link is then fetched by the page's Import handler).
import { api, ApiError } from './api.js';
import { Uploader } from './upload.js';

const form = document.getElementById('job-form');
if (form) {
  const pipeline = form.dataset.pipeline;
  const uploadId = document.getElementById('upload-id');
  const $ = (id) => document.getElementById(id);
  const fields = [...form.querySelectorAll('[name^="o."]')].filter((el) => !(el.type === 'hidden'));
  $('estimate-button')?.setAttribute('hidden', '');

  const options = () => {
    const o = {};
    for (const el of fields) {
      const name = el.name.slice(2);
      if (el.type === 'checkbox') o[name] = el.checked;
      else if (el.value.trim() === '') continue;
      else if (el.type === 'number') o[name] = Number(el.value);
      else if (el.dataset.kind === 'list') o[name] = el.value.split(',').map((v) => v.trim()).filter((v) => v !== '');
      else o[name] = el.value.trim();
    }
    return o;
  };

  const showFieldErrors = () => {
    let ok = true;
    for (const el of fields) {
      const span = form.querySelector(`[data-error-for="${el.name.slice(2)}"]`);
      const valid = el.checkValidity();
      ok &&= valid;
      el.setAttribute('aria-invalid', valid ? 'false' : 'true');
      if (span) span.textContent = valid ? '' : el.validationMessage;
    }
    return ok;
  };

  const setLines = (lines, minimum) => {
    const list = $('estimate-lines');
    if (!list) return;
    const num = (n) => Number(n).toLocaleString('en-US', { maximumFractionDigits: 3 });
    const credits = (n) => `${num(n)} ${Math.abs(n) === 1 ? 'credit' : 'credits'}`;
    list.replaceChildren(...(lines ?? []).map((l) => Object.assign(document.createElement('li'), { textContent: `${l.label}: ${num(l.quantity)} × ${num(l.unitPrice)} = ${credits(l.credits)}` })));
    if (minimum != null) list.append(Object.assign(document.createElement('li'), { textContent: `Minimum charge: ${credits(minimum)}` }));
  };

  const setEstimate = (cost, available, after, message, error) => {
    if (error === 'invalid') setLines([]);
    $('estimate-cost').textContent = cost;
    $('estimate-available').textContent = available;
    $('estimate-after').textContent = after;
    const m = $('estimate-message');
    m.className = error ? 'notice notice-error' : 'hint';
    m.replaceChildren(message);
    if (error === 'credits') {
      const a = document.createElement('a');
      a.href = '/credits#get-credits';
      a.textContent = 'Get more credits';
      m.append(' ', a);
    }
  };

  let seq = 0;
  const estimate = async () => {
    if (!showFieldErrors()) return;
    if (uploadId && !uploadId.value) return;
    const mine = ++seq;
    try {
      const e = await api('POST', '/api/jobs/estimate', { pipeline, uploads: uploadId?.value ? [uploadId.value] : [], options: options() });
      if (mine !== seq) return;
      setLines(e.lines, e.minimumApplied);
      const fmt = (n) => `${n.toLocaleString('en-US')} ${Math.abs(n) === 1 ? 'credit' : 'credits'}`;
      if (e.affordable) setEstimate(fmt(e.estimatedCost), fmt(e.available), fmt(e.availableAfter), 'The estimate is held when the job starts; unused credits are released when it ends.');
      else setEstimate(fmt(e.estimatedCost), fmt(e.available), fmt(e.availableAfter), `Not enough credits: this job needs ${e.estimatedCost} but ${e.available} are available.`, 'credits');
    } catch (err) {
      if (mine !== seq) return;
      setEstimate('—', $('estimate-available').textContent, '—', err instanceof ApiError ? err.message : 'Could not reach Kiln to update the estimate.', 'invalid');
    }
  };

  let timer;
  const later = () => { clearTimeout(timer); timer = setTimeout(estimate, 250); };
  form.addEventListener('input', (e) => { if (e.target.name?.startsWith('o.')) later(); });
  form.addEventListener('change', (e) => { if (e.target.name?.startsWith('o.')) later(); });
  form.addEventListener('submit', (e) => { if (!showFieldErrors()) e.preventDefault(); });

  const file = $('file');
  if (file) setupUpload(file, uploadId, estimate);
  if ($('source-url')) setupImport(uploadId, estimate);
}

// "…or paste a link": the server fetches and checks the file; meanwhile the field shows it is busy. Success looks
// exactly like a finished upload; a failure is explained next to the field.
function setupImport(uploadId, onReady) {
  const $ = (id) => document.getElementById(id);
  const input = $('source-url');
  const button = $('import-button');
  const error = $('source-url-error');
  const field = input.closest('.field');
  const status = $('upload-status');
  const start = $('start-button');
  const file = $('file');
  const box = document.querySelector('.upload-progress');
  const label = button.textContent;
  let busy = false;

  const showError = (message, code) => {
    error.replaceChildren(message);
    if (code === 'upload_too_large') error.append(' ', Object.assign(document.createElement('a'), { href: '/pricing', textContent: 'See the pricing page' }));
    input.setAttribute('aria-invalid', 'true');
    field.classList.add('has-error');
  };
  const clearError = () => {
    error.replaceChildren();
    input.setAttribute('aria-invalid', 'false');
    field.classList.remove('has-error');
  };

  const run = async () => {
    if (busy) return;
    const url = input.value.trim();
    if (!url) {
      showError('Paste the link to a file first, starting with https://.');
      input.focus();
      return;
    }
    busy = true;
    clearError();
    const previous = uploadId.value;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    button.textContent = 'Fetching…';
    input.readOnly = true;
    start.disabled = true;
    if (box) box.hidden = true;
    status.dataset.state = 'fetching';
    status.textContent = 'Fetching the file from the link and checking it… large files can take up to a minute.';
    try {
      const result = await api('POST', '/api/uploads/from-url', { url });
      uploadId.value = result.id;
      if (file) file.value = '';
      status.textContent = `${result.fileName} is uploaded and ready (${result.kind}).`;
      status.dataset.state = 'ready';
      onReady();
    } catch (err) {
      status.dataset.state = previous ? 'ready' : 'failed';
      status.textContent = previous ? 'The link could not be used; the file you chose before is still selected.' : 'The link could not be used.';
      showError(err instanceof ApiError ? err.message : 'Could not reach Kiln; check your connection and try again.', err?.problem?.code);
      input.focus();
    } finally {
      busy = false;
      button.disabled = false;
      button.removeAttribute('aria-busy');
      button.textContent = label;
      input.readOnly = false;
      start.disabled = false;
    }
  };

  button.addEventListener('click', (e) => {
    e.preventDefault();
    // Enter in another field "clicks" the form's first button, which is this one: that is not a request to fetch.
    const active = document.activeElement;
    if (e.detail === 0 && active && active !== button && active !== input && active !== document.body) {
      onReady();
      return;
    }
    run();
  });
  input.addEventListener('input', () => { if (input.getAttribute('aria-invalid') === 'true') clearError(); });
  // Picking a file replaces a link that failed.
  file?.addEventListener('change', clearError);
}

function setupUpload(input, uploadId, onReady) {
  const $ = (id) => document.getElementById(id);
  const box = document.querySelector('.upload-progress');
  const bar = $('upload-progress');
  const pct = $('upload-percent');
  const status = $('upload-status');
  const cancel = $('upload-cancel');
  const resume = $('upload-resume');
  const start = $('start-button');
  let uploader = null;
  // After a form post-back the server already knows the upload; only prompt when there is none yet.
  if (!uploadId.value) status.textContent = 'Choose a file to upload. Large files go up in parts and survive a dropped connection.';

  const setPct = (loaded, total) => {
    const v = total > 0 ? Math.floor((loaded / total) * 100) : 0;
    bar.value = v;
    pct.textContent = `${v} %`;
  };

  const run = async (work) => {
    resume.hidden = true;
    cancel.hidden = false;
    start.disabled = true;
    try {
      const result = await work();
      setPct(1, 1);
      uploadId.value = result.id;
      status.textContent = `${result.fileName} is uploaded and ready (${result.kind}).`;
      status.dataset.state = 'ready';
      cancel.hidden = true;
      start.disabled = false;
      onReady();
    } catch (err) {
      cancel.hidden = true;
      start.disabled = false;
      if (err?.name === 'AbortError' || uploader?.canceled) {
        status.textContent = 'Upload canceled.';
        status.dataset.state = 'canceled';
        box.hidden = true;
        return;
      }
      const why = String(err?.message ?? err);
      status.textContent = `Upload stopped: ${why}${why.endsWith('.') ? '' : '.'}`;
      // A plan limit has a way out: the pricing page, linked like the server-rendered errors do.
      if (err?.problem?.code === 'upload_too_large') {
        const link = Object.assign(document.createElement('a'), { href: '/pricing', textContent: 'See the pricing page' });
        status.append(' ', link);
      }
      status.dataset.state = 'failed';
      // Parts already stored are kept: resuming sends only what is missing. A rejected file cannot be resumed.
      if (uploader?.upload && !(err?.status >= 400 && err?.status < 500)) resume.hidden = false;
    }
  };

  input.addEventListener('change', () => {
    const f = input.files?.[0];
    if (!f) return;
    if (uploader && !uploader.canceled && status.dataset.state === 'uploading') uploader.cancel();
    uploadId.value = '';
    uploader = new Uploader(f);
    uploader.addEventListener('progress', (e) => setPct(e.detail.loaded, e.detail.total));
    uploader.addEventListener('state', (e) => {
      status.dataset.state = e.detail.state;
      status.textContent = e.detail.state === 'validating' ? 'Checking the file…' : `Uploading ${f.name}…`;
    });
    uploader.addEventListener('retry', (e) => {
      status.textContent = `Connection problem on part ${e.detail.partNumber}; retrying in ${Math.round(e.detail.delay / 1000)} s…`;
    });
    box.hidden = false;
    setPct(0, f.size);
    run(() => uploader.start());
  });
  // A file picked before this module ran (slow network, quick user) would otherwise sit there unnoticed.
  if (input.files?.length && !uploadId.value) input.dispatchEvent(new Event('change'));
  cancel.addEventListener('click', () => uploader?.cancel());
  resume.addEventListener('click', () => { if (uploader) run(() => uploader.resume()); });
}
