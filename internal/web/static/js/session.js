// Who is using the client: the logged-in account (from GET /api/v1/me) or nobody, and the
// instance's public settings. Pages subscribe to 'change' to redraw when either changes.

import { ApiError } from './api.js';

export class Session extends EventTarget {
  constructor(api) {
    super();
    this.api = api;
    this.me = null;
    this.instance = { name: 'kurz', registration: 'open', limits: {} };
    api.refreshCSRF = () => this.refresh();
  }

  get loggedIn() {
    return this.me !== null;
  }

  // load asks the server who we are; a 401 simply means "logged out".
  async load() {
    const [me, instance] = await Promise.allSettled([this.api.get('/me'), this.api.get('/instance')]);
    if (instance.status === 'fulfilled' && instance.value) this.instance = instance.value;
    if (me.status === 'fulfilled') this.set(me.value);
    else if (me.reason instanceof ApiError && me.reason.status === 401) this.set(null);
    else throw me.reason;
  }

  async refresh() {
    try {
      this.set(await this.api.get('/me'));
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) this.set(null);
      else throw e;
    }
  }

  // set replaces the account; answers from PATCH /me carry the CSRF token too.
  set(me) {
    const prevToken = this.api.csrf;
    this.me = me || null;
    this.api.setCSRF(me ? me.csrf_token || prevToken : '');
    this.dispatchEvent(new Event('change'));
  }

  async logIn(username, password) {
    const out = await this.api.post('/sessions', { username, password });
    this.set(out.account);
    return out;
  }

  async signUp(fields) {
    const out = await this.api.post('/accounts', fields);
    this.set(out.account);
    return out;
  }

  async logOut() {
    try {
      await this.api.delete('/sessions/current');
    } catch (e) {
      // An expired session is already logged out; anything else is worth showing.
      if (!(e instanceof ApiError && e.status === 401)) throw e;
    }
    this.set(null);
  }
}
