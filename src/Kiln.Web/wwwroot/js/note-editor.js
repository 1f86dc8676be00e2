// Note editor: a live preview rendered by the server (the same safe Markdown as the note page) and autosave through
// the API a second after typing stops. The form still posts without JavaScript.
import { api, ApiError } from './api.js';

const form = document.getElementById('note-editor');
if (form) {
  const id = form.dataset.note;
  const status = document.getElementById('save-status');
  const preview = document.getElementById('note-preview');
  const field = (name) => form.elements.namedItem(name);
  const token = () => document.querySelector('meta[name="request-verification-token"]')?.content ?? '';
  let timer;
  let saving = Promise.resolve();

  const renderPreview = async () => {
    const body = new URLSearchParams({ Markdown: field('Markdown').value, __RequestVerificationToken: token() });
    const res = await fetch(`/notes/${id}/edit?handler=Preview`, { method: 'POST', body, credentials: 'same-origin' });
    if (res.ok) preview.innerHTML = await res.text();
  };

  const save = async () => {
    status.textContent = 'Saving…';
    try {
      const note = await api('PUT', `/api/notes/${id}`, {
        title: field('Title').value,
        subject: field('Subject').value,
        markdown: field('Markdown').value,
        expectedVersion: Number(field('ExpectedVersion').value),
      });
      field('ExpectedVersion').value = note.version;
      status.textContent = `Saved · version ${note.version}`;
    } catch (e) {
      status.textContent = e instanceof ApiError ? e.message : 'Not saved: the connection failed. Your text is still here; save again.';
    }
  };

  form.addEventListener('input', () => {
    status.textContent = 'Unsaved changes';
    clearTimeout(timer);
    timer = setTimeout(() => {
      renderPreview();
      saving = saving.then(save);
    }, 800);
  });
  renderPreview();
}
