// Resumable uploads: the server hands out one signed URL per part; parts go up in parallel straight to storage.
// A failed part is retried with exponential backoff while completed parts are kept, so a dropped connection costs
// at most the parts in flight. Cancel aborts everything and deletes the pending upload.
import { api } from './api.js';

const CONCURRENCY = 3;
const MAX_ATTEMPTS = 6;
const FORBIDDEN_HEADERS = new Set(['content-length', 'host', 'connection']);

export class Uploader extends EventTarget {
  constructor(file) {
    super();
    this.file = file;
    this.upload = null;
    this.parts = [];
    this.requests = new Set();
    this.canceled = false;
  }

  get loaded() { return this.parts.reduce((sum, p) => sum + (p.done ? p.size : p.loaded), 0); }

  emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }

  async start() {
    this.upload = await api('POST', '/api/uploads', { fileName: this.file.name, size: this.file.size, contentType: this.file.type || null });
    const partSize = this.upload.partSize;
    this.parts = this.upload.parts.map((t) => {
      const start = (t.partNumber - 1) * partSize;
      const end = this.upload.parts.length === 1 ? this.file.size : Math.min(this.file.size, start + partSize);
      return { ...t, start, end, size: end - start, loaded: 0, done: false, etag: null };
    });
    return this.resume();
  }

  /** Uploads every part not yet done, then completes. Safe to call again after a failure. */
  async resume() {
    this.emit('state', { state: 'uploading' });
    const queue = this.parts.filter((p) => !p.done);
    const worker = async () => {
      while (queue.length > 0 && !this.canceled) await this.sendWithRetry(queue.shift());
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker));
    if (this.canceled) throw new DOMException('Upload canceled', 'AbortError');
    this.emit('state', { state: 'validating' });
    return api('POST', `/api/uploads/${this.upload.id}/complete`, {
      parts: this.parts.map((p) => ({ partNumber: p.partNumber, eTag: p.etag ?? '' })),
    });
  }

  async sendWithRetry(part) {
    for (let attempt = 1; ; attempt++) {
      try {
        part.etag = await this.send(part);
        part.done = true;
        this.emit('progress', { loaded: this.loaded, total: this.file.size });
        return;
      } catch (e) {
        if (this.canceled || e.permanent || attempt >= MAX_ATTEMPTS) throw e;
        part.loaded = 0;
        const delay = Math.min(16000, 500 * 2 ** attempt) * (0.75 + Math.random() * 0.5);
        this.emit('retry', { partNumber: part.partNumber, attempt, delay });
        await waitOnline(delay);
      }
    }
  }

  send(part) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      this.requests.add(xhr);
      xhr.open(part.method || 'PUT', part.url);
      for (const [k, v] of Object.entries(part.headers ?? {})) if (!FORBIDDEN_HEADERS.has(k.toLowerCase())) xhr.setRequestHeader(k, v);
      xhr.upload.onprogress = (e) => {
        part.loaded = e.loaded;
        this.emit('progress', { loaded: this.loaded, total: this.file.size });
      };
      const fail = (message, permanent = false) => { this.requests.delete(xhr); reject(Object.assign(new Error(message), { permanent })); };
      xhr.onload = () => {
        this.requests.delete(xhr);
        if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.getResponseHeader('ETag') ?? '');
        // 4xx other than timeouts and rate limits will not heal by retrying (expired link, too large).
        else fail(`Part ${part.partNumber} failed (${xhr.status})`, xhr.status >= 400 && xhr.status < 500 && xhr.status !== 408 && xhr.status !== 429);
      };
      xhr.onerror = () => fail(`Part ${part.partNumber}: the connection dropped`);
      xhr.ontimeout = () => fail(`Part ${part.partNumber} timed out`);
      xhr.onabort = () => fail('aborted', true);
      xhr.send(this.file.slice(part.start, part.end));
    });
  }

  async cancel() {
    this.canceled = true;
    for (const xhr of this.requests) xhr.abort();
    if (this.upload) {
      try { await api('DELETE', `/api/uploads/${this.upload.id}`); } catch { /* the sweeper removes abandoned uploads */ }
    }
  }
}

// Waits for the backoff delay, but no longer than it takes the browser to report it is back online.
function waitOnline(ms) {
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); window.removeEventListener('online', done); resolve(); };
    const timer = setTimeout(done, ms);
    window.addEventListener('online', done);
  });
}
