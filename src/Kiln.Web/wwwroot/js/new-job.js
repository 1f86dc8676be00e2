// New job page: each input slot uploads with its own progress bar or fetches from a link, and the cost estimate
// follows every slot and option. Without JS the form still posts (links are then fetched by the page's Import handler).
import { api, ApiError } from './api.js';
import { Uploader } from './upload.js';
import { setupVoicePicker } from './voice-picker.js';
import { setupChoicePicker } from './choice-picker.js';

const form = document.getElementById('job-form');
if (form) {
  const pipeline = form.dataset.pipeline;
  const $ = (id) => document.getElementById(id);
  const slots = [...form.querySelectorAll('[data-slot]')];
  const fields = [...form.querySelectorAll('[name^="o."]')].filter((el) => !(el.type === 'hidden'));
  $('estimate-button')?.setAttribute('hidden', '');

  // A pipeline that takes one of several inputs: show only the chosen slot.
  const choices = [...form.querySelectorAll('input[name="InputChoice"]')];
  const chosen = () => choices.find((c) => c.checked)?.value ?? null;
  const showChoice = () => { for (const box of slots) box.hidden = choices.length > 0 && box.dataset.slot !== chosen(); };
  showChoice();

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

  // Each slot's upload by name; for a choice only the chosen slot's, when it has one (as the page does without JS).
  const inputs = () => {
    const given = {};
    for (const box of slots) {
      const id = box.querySelector('[data-upload-id]').value;
      if (id) given[box.dataset.slot] = id;
    }
    const c = chosen();
    return c && given[c] ? { [c]: given[c] } : given;
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

  // The server's sentence about one input goes beside that input's field.
  const slotError = (name, message) => {
    const box = slots.find((b) => b.dataset.slot === name);
    if (!box) return false;
    box.querySelector('[data-error-for-slot]').textContent = message ?? '';
    box.classList.toggle('has-error', !!message);
    if (message && box.hidden) {
      const radio = choices.find((c) => c.value === name);
      if (radio) { radio.checked = true; showChoice(); }
    }
    return true;
  };

  // An answer replaces what earlier answers said about inputs; a failed upload or link keeps its own sentence.
  const clearSlotErrors = () => {
    for (const box of slots) if (box.querySelector('[data-status]').dataset.state !== 'failed') slotError(box.dataset.slot, '');
  };

  let seq = 0;
  const estimate = async () => {
    if (!showFieldErrors()) return;
    const given = inputs();
    if (slots.length > 0 && Object.keys(given).length === 0 && choices.length === 0) return;
    const mine = ++seq;
    try {
      const e = await api('POST', '/api/jobs/estimate', { pipeline, inputs: given, options: options() });
      if (mine !== seq) return;
      clearSlotErrors();
      setLines(e.lines, e.minimumApplied);
      const fmt = (n) => `${n.toLocaleString('en-US')} ${Math.abs(n) === 1 ? 'credit' : 'credits'}`;
      if (e.affordable) setEstimate(fmt(e.estimatedCost), fmt(e.available), fmt(e.availableAfter), 'The estimate is held when the job starts; unused credits are released when it ends.');
      else setEstimate(fmt(e.estimatedCost), fmt(e.available), fmt(e.availableAfter), `Not enough credits: this job needs ${e.estimatedCost} but ${e.available} are available.`, 'credits');
    } catch (err) {
      if (mine !== seq) return;
      clearSlotErrors();
      const message = err instanceof ApiError ? err.message : 'Could not reach Kiln to update the estimate.';
      const beside = err?.problem?.slot && slotError(err.problem.slot, message);
      setEstimate('—', $('estimate-available').textContent, '—', beside ? 'Fix the input marked above to see the price.' : message, 'invalid');
    }
  };

  let timer;
  const later = () => { clearTimeout(timer); timer = setTimeout(estimate, 250); };
  form.addEventListener('input', (e) => { if (e.target.name?.startsWith('o.')) later(); });
  form.addEventListener('change', (e) => {
    if (e.target.name?.startsWith('o.')) later();
    if (e.target.name === 'InputChoice') { showChoice(); later(); }
  });
  form.addEventListener('submit', (e) => { if (!showFieldErrors()) e.preventDefault(); });

  for (const input of form.querySelectorAll('[data-choices-url]')) setupChoicePicker(input);
  for (const input of form.querySelectorAll('[data-voice-languages]')) setupVoicePicker(input, later);

  for (const box of slots) {
    const uploadId = box.querySelector('[data-upload-id]');
    setupUpload(box, uploadId, estimate);
    setupImport(box, uploadId, estimate);
  }
}

// "…or paste a link": the server fetches and checks the file; meanwhile the field shows it is busy. Success looks
// exactly like a finished upload; a failure is explained next to the field.
function setupImport(slot, uploadId, onReady) {
  const input = slot.querySelector('[data-url]');
  const button = slot.querySelector('[data-import]');
  const error = slot.querySelector('[data-error-for-slot]');
  const field = slot;
  const status = slot.querySelector('[data-status]');
  const start = document.getElementById('start-button');
  const file = slot.querySelector('[data-file]');
  const box = slot.querySelector('.upload-progress');
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

function setupUpload(slot, uploadId, onReady) {
  const input = slot.querySelector('[data-file]');
  const box = slot.querySelector('.upload-progress');
  const bar = slot.querySelector('[data-progress]');
  const pct = slot.querySelector('[data-percent]');
  const status = slot.querySelector('[data-status]');
  const cancel = slot.querySelector('[data-cancel]');
  const resume = slot.querySelector('[data-resume]');
  const error = slot.querySelector('[data-error-for-slot]');
  const start = document.getElementById('start-button');
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
    error.textContent = '';
    slot.classList.remove('has-error');
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
