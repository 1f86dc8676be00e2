// File fields on the podcast pages (show artwork, episode audio): the file goes up through the resumable upload flow
// as soon as it is chosen, the server checks it (artwork: square, 1400–3000 px, RGB), and the upload id lands in the
// form's hidden field. A refusal is shown next to the field in the server's own words; the form waits for the upload.
import { Uploader } from './upload.js';

for (const input of document.querySelectorAll('input[type=file][data-upload-into]')) {
  const form = input.form;
  const target = form.querySelector(`input[name="${input.dataset.uploadInto}"]`);
  const status = document.getElementById(input.dataset.uploadStatus);
  const submit = form.querySelector('button[type=submit]');
  input.addEventListener('change', async () => {
    const file = input.files?.[0];
    if (!file) return;
    target.value = '';
    status.classList.remove('field-error');
    status.textContent = `Uploading ${file.name}…`;
    if (submit) submit.disabled = true;
    try {
      const uploader = new Uploader(file);
      uploader.addEventListener('progress', (e) => {
        status.textContent = `Uploading ${file.name}: ${Math.round((100 * e.detail.loaded) / Math.max(1, e.detail.total))} %`;
      });
      uploader.addEventListener('state', (e) => {
        if (e.detail.state === 'validating') status.textContent = `Checking ${file.name}…`;
      });
      const upload = await uploader.start();
      target.value = upload.id;
      const m = upload.metadata ?? {};
      status.textContent = m.width ? `${file.name} is ready (${m.width}×${m.height} px).`
        : m.durationSeconds ? `${file.name} is ready (${Math.round(m.durationSeconds)} s).` : `${file.name} is ready.`;
      input.dataset.uploaded = upload.id;
    } catch (err) {
      status.textContent = err.message;
      status.classList.add('field-error');
      input.value = '';
    } finally {
      if (submit) submit.disabled = false;
    }
  });
}
