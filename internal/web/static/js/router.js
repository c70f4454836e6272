// Client-side routes over the History API. The server answers every one of these paths
// with the app shell (web.IsClientRoute mirrors this table), so a deep link or a reload
// lands on the same page.

import { validUsername } from './text.js';

const ROUTES = [
  ['/', 'feed', { feed: 'for_you' }],
  ['/following', 'feed', { feed: 'following' }],
  ['/trending', 'feed', { feed: 'trending' }],
  ['/search', 'search'],
  ['/upload', 'upload'],
  ['/settings', 'settings'],
  ['/notifications', 'notifications'],
  ['/analytics', 'analytics'],
  ['/login', 'login'],
  ['/signup', 'signup'],
  ['/ranking', 'ranking'],
];

// match turns a path into {name, params}; unknown paths give the not-found page.
export function match(pathname) {
  for (const [path, name, params] of ROUTES) {
    if (pathname === path) return { name, params: { ...params } };
  }
  let m;
  if ((m = /^\/@([^/]+)$/.exec(pathname))) {
    const username = decodeSafe(m[1]);
    if (username !== null && validUsername(username)) return { name: 'profile', params: { username } };
  } else if ((m = /^\/tag\/([^/]+)$/.exec(pathname))) {
    const tag = decodeSafe(m[1]);
    if (tag) return { name: 'tag', params: { tag } };
  } else if ((m = /^\/v\/([0-9a-zA-Z]{1,40})$/.exec(pathname))) {
    return { name: 'video', params: { id: m[1] } };
  }
  return { name: 'notfound', params: {} };
}

function decodeSafe(s) {
  try { return decodeURIComponent(s); } catch { return null; }
}

// safeNext accepts only a path on this site as the place to return to after logging in,
// so a crafted ?next= cannot send anyone elsewhere.
export function safeNext(value) {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  if (value.startsWith('/api/') || value.startsWith('/media/') || value.startsWith('/assets/')) return '/';
  return value;
}

export class Router {
  constructor(onRoute) {
    this.onRoute = onRoute;
    this.onClick = this.onClick.bind(this);
    this.onPop = () => this.render();
  }

  start() {
    document.addEventListener('click', this.onClick);
    window.addEventListener('popstate', this.onPop);
    this.render();
  }

  get current() {
    return { path: location.pathname, query: new URLSearchParams(location.search), ...match(location.pathname) };
  }

  navigate(path, { replace = false } = {}) {
    const url = new URL(path, location.origin);
    if (url.origin !== location.origin) return;
    if (url.pathname + url.search === location.pathname + location.search && !replace) return;
    history[replace ? 'replaceState' : 'pushState'](null, '', url.pathname + url.search + url.hash);
    this.render();
  }

  render() {
    this.onRoute(this.current);
  }

  // onClick takes over plain left clicks on links to our own pages, leaving new-tab
  // clicks, downloads and other sites to the browser.
  onClick(e) {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = e.target instanceof Element ? e.target.closest('a[href]') : null;
    if (!a || a.target || a.hasAttribute('download')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin) return;
    if (/^\/(api|media|assets)\//.test(url.pathname)) return;
    // A jump within this page (the skip link) is the browser's job.
    if (url.hash && url.pathname === location.pathname && url.search === location.search) return;
    e.preventDefault();
    this.navigate(url.pathname + url.search + url.hash);
  }
}
