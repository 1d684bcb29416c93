// The node's JSON API, with the admin key from session storage: it lives as
// long as the tab and is never written anywhere more lasting.

const storageKey = 'pfn.adminKey';

export const session = {
  get key() { return sessionStorage.getItem(storageKey) || ''; },
  set(key) { sessionStorage.setItem(storageKey, key); },
  clear() { sessionStorage.removeItem(storageKey); },
};

export class ApiError extends Error {
  // field is the request field or query parameter the node refused, when
  // it named one ({"error", "field"}).
  constructor(status, message, field = '') {
    super(message);
    this.status = status;
    this.field = field;
  }

  // missing is true when the node has no such endpoint yet (its 404 for an
  // unknown route), as opposed to a 404 about a thing the request named.
  get missing() { return this.status === 404 && this.message.startsWith('no such endpoint'); }
}

export function path(base, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? base + '?' + s : base;
}

async function send(method, url, body, key) {
  const headers = { Accept: 'application/json' };
  if (key ?? session.key) headers.Authorization = 'Bearer ' + (key ?? session.key);
  const init = { method, headers, cache: 'no-store', credentials: 'omit' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(url, init);
  } catch (err) {
    throw new ApiError(0, 'The node did not answer (' + err.message + ').');
  }
  if (!resp.ok) {
    let message = resp.status + ' ' + resp.statusText;
    let field = '';
    try {
      const data = await resp.json();
      if (data && typeof data.error === 'string') message = data.error;
      if (data && typeof data.field === 'string') field = data.field;
    } catch { /* not JSON: keep the status line */ }
    const err = new ApiError(resp.status, message, field);
    if (resp.status === 401 && key === undefined) window.dispatchEvent(new CustomEvent('pfn:unauthorized'));
    throw err;
  }
  return resp;
}

export async function api(method, url, body, key) {
  const resp = await send(method, url, body, key);
  const text = await resp.text();
  return text ? JSON.parse(text) : {};
}

// text GETs a plain-text resource (a signed checkpoint).
export async function text(url) {
  const resp = await send('GET', url);
  return resp.text();
}

export async function download(url) {
  const resp = await send('GET', url);
  return resp.blob();
}

// notAvailable words a missing endpoint (not yet on this node) plainly.
export function explain(err, what) {
  if (err instanceof ApiError && err.missing) return what + ' is not available on this node yet.';
  return err.message;
}
