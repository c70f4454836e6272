// The client's only door to the server: /api/v1 with the session cookie. It adds the CSRF
// token to state-changing requests and turns every failure into an ApiError that carries
// the server's {"error":{"code","message","field"}} so the page can show it.

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field || '';
  }

  // missingEndpoint is true when this server does not offer the endpoint yet: the page
  // then says the feature is coming rather than that something broke.
  get missingEndpoint() {
    return this.status === 404 && this.code === 'no_such_endpoint';
  }

  get offline() {
    return this.status === 0;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export class Api {
  constructor({ base = '/api/v1', fetcher } = {}) {
    this.base = base;
    this.fetcher = fetcher || ((url, init) => fetch(url, init));
    this.csrf = '';
    // refreshCSRF is set by the session: it fetches /me again when the server says the
    // token is stale (another tab logged in or out) and returns the new token.
    this.refreshCSRF = null;
  }

  setCSRF(token) {
    this.csrf = token || '';
  }

  get(path, opts) { return this.request('GET', path, opts); }
  post(path, json, opts) { return this.request('POST', path, { ...opts, json }); }
  patch(path, json, opts) { return this.request('PATCH', path, { ...opts, json }); }
  put(path, json, opts) { return this.request('PUT', path, { ...opts, json }); }
  delete(path, opts) { return this.request('DELETE', path, opts); }

  // request sends one call. opts: json (a value sent as JSON), body (sent raw, e.g. a File),
  // contentType, headers, signal, keepalive.
  async request(method, path, opts = {}) {
    try {
      return await this.send(method, path, opts);
    } catch (e) {
      if (e instanceof ApiError && e.status === 403 && e.code.startsWith('csrf_') && this.refreshCSRF && !opts.retried) {
        await this.refreshCSRF();
        return this.send(method, path, { ...opts, retried: true });
      }
      throw e;
    }
  }

  async send(method, path, { json, body, contentType, signal, keepalive, headers: extra } = {}) {
    const headers = { Accept: 'application/json', ...extra };
    const init = { method, headers, credentials: 'same-origin', signal, keepalive, cache: 'no-store' };
    if (json !== undefined) {
      init.body = JSON.stringify(json);
      headers['Content-Type'] = 'application/json';
    } else if (body !== undefined) {
      init.body = body;
      if (contentType) headers['Content-Type'] = contentType;
    }
    if (UNSAFE.has(method) && this.csrf) headers['X-CSRF-Token'] = this.csrf;
    let res;
    try {
      res = await this.fetcher(this.base + path, init);
    } catch (e) {
      if (e && e.name === 'AbortError') throw e;
      throw new ApiError(0, 'network', "Can't reach the server. Check your connection and try again.");
    }
    if (res.status === 204) return null;
    let data = null;
    if ((res.headers.get('Content-Type') || '').includes('application/json')) {
      data = await res.json().catch(() => null);
    }
    if (!res.ok) throw errorFrom(res.status, data);
    return data;
  }
}

// errorFrom turns a failed answer's status and JSON body into an ApiError.
export function errorFrom(status, data) {
  const err = data && typeof data.error === 'object' && data.error ? data.error : {};
  return new ApiError(status,
    typeof err.code === 'string' ? err.code : `http_${status}`,
    typeof err.message === 'string' && err.message ? err.message : `The server answered ${status}. Try again in a moment.`,
    typeof err.field === 'string' ? err.field : '');
}
