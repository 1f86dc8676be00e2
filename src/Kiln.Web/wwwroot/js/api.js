// Same-origin JSON calls to /api with the auth cookie. Unsafe methods carry the page's antiforgery token, which the
// API requires for cookie-authenticated requests.
const token = () => document.querySelector('meta[name="request-verification-token"]')?.content ?? '';

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.title ?? `Request failed (${status})`);
    this.status = status;
    this.problem = problem ?? {};
  }
}

export async function api(method, url, body, { signal } = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') headers.RequestVerificationToken = token();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', signal });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** A GET whose answer is kept for the page's life (lists that change with what is installed); a failure is not kept, so it is tried again. */
export function cachedGet() {
  const cache = new Map();
  return (url) => {
    if (!cache.has(url)) cache.set(url, api('GET', url).catch((err) => { cache.delete(url); throw err; }));
    return cache.get(url);
  };
}

export const finished = (status) => status === 'succeeded' || status === 'failed' || status === 'canceled';
