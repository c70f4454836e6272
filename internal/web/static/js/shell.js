// The frame around every page: the navigation (a sidebar on wide screens, a tab bar at
// the bottom on phones), the main region and the toasts. It swaps pages on each route,
// tears the old one down (so videos stop) and moves focus to the new page's heading.

import { h, icon } from './dom.js';
import { avatar } from './ui.js';
import { nameOf } from './text.js';
import { feedView } from './views/feed.js';
import { loginView, signupView } from './views/auth.js';
import { settingsView } from './views/settings.js';
import { profileView } from './views/profile.js';
import { searchView, notificationsView, tagView, videoView, notFoundView } from './views/pages.js';
import { uploadView } from './views/upload.js';
import { analyticsView } from './views/analytics.js';
import { rankingView } from './views/ranking.js';

const VIEWS = {
  feed: feedView, login: loginView, signup: signupView, settings: settingsView, profile: profileView,
  search: searchView, upload: uploadView, notifications: notificationsView, tag: tagView, video: videoView,
  notfound: notFoundView, ranking: rankingView, analytics: analyticsView,
};

export class Shell {
  constructor(ctx) {
    this.ctx = ctx;
    this.view = null;
    this.route = null;
    this.renders = 0;
  }

  mount(root) {
    this.nav = h('nav', { class: 'nav', 'aria-label': 'Main' });
    this.main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
    root.replaceChildren(h('a', { class: 'skip-link', href: '#main' }, 'Skip to content'), this.nav, this.main, this.ctx.toast.el);
    root.classList.remove('boot');
    root.classList.add('app');
    root.removeAttribute('aria-busy');
    this.ctx.session.addEventListener('change', () => { this.renderNav(); this.refreshUnread(); });
    this.ctx.session.addEventListener('notifications', () => this.refreshUnread());
    this.unread = 0;
  }

  // refreshUnread asks how many notifications wait, for the badge on the inbox.
  refreshUnread() {
    if (!this.ctx.session.loggedIn) { this.setUnread(0); return; }
    this.ctx.api.get('/notifications/unread').then((r) => this.setUnread(Number(r && r.unread) || 0)).catch(() => {});
  }

  setUnread(n) {
    if (n === this.unread) return;
    this.unread = n;
    this.renderNav();
  }

  render(route) {
    if (this.view && this.view.destroy) this.view.destroy();
    this.route = route;
    const token = ++this.renders;
    const ctx = {
      ...this.ctx,
      setTitle: (t) => { if (token === this.renders) document.title = `${t} · ${this.instanceName()}`; },
    };
    const make = VIEWS[route.name] || notFoundView;
    this.view = make(ctx, route);
    this.main.replaceChildren(this.view.el);
    this.main.classList.toggle('main--bleed', !!this.view.fullBleed);
    document.body.classList.toggle('on-feed', !!this.view.fullBleed);
    ctx.setTitle(this.view.title || 'kurz');
    this.renderNav();
    this.refreshUnread();
    if (token > 1) {
      const heading = this.main.querySelector('#page-title') || this.main;
      heading.focus({ preventScroll: true });
      if (!this.view.fullBleed) window.scrollTo(0, 0);
    }
  }

  instanceName() {
    return (this.ctx.session.instance && this.ctx.session.instance.name) || 'kurz';
  }

  renderNav() {
    const me = this.ctx.session.me;
    const r = this.route || { name: '', params: {} };
    const onFeed = (f) => r.name === 'feed' && r.params.feed === f;
    const ownProfile = me && r.name === 'profile' && r.params.username === me.username;
    const items = [
      { href: '/', label: 'For You', short: 'Home', iconName: 'home', active: onFeed('for_you'), mobile: true },
      { href: '/following', label: 'Following', iconName: 'following', active: onFeed('following') },
      { href: '/trending', label: 'Trending', iconName: 'trending', active: onFeed('trending') },
      { href: '/search', label: 'Search', iconName: 'search', active: r.name === 'search', mobile: true },
      { href: '/upload', label: 'Upload', iconName: 'plus', active: r.name === 'upload', mobile: true, cls: 'nav-upload' },
      { href: '/notifications', label: 'Notifications', short: 'Inbox', iconName: 'bell', active: r.name === 'notifications', mobile: true, badge: this.unread },
      { href: me ? `/@${me.username}` : '/login', label: 'Profile', iconName: 'user', active: !!ownProfile || r.name === 'login', mobile: true },
      me ? { href: '/analytics', label: 'Analytics', iconName: 'chart', active: r.name === 'analytics' } : null,
      me ? { href: '/settings', label: 'Settings', iconName: 'settings', active: r.name === 'settings' } : null,
    ].filter(Boolean);
    const list = h('ul', { class: 'nav-list' }, items.map((it) => h('li', { class: ['nav-item', it.mobile && 'nav-item--mobile', it.cls] },
      h('a', { href: it.href, class: ['nav-link', it.active && 'is-active'], 'aria-current': it.active ? 'page' : undefined },
        h('span', { class: 'nav-icon' }, icon(it.iconName),
          it.badge ? h('span', { class: 'nav-badge', id: 'unread-badge' }, it.badge > 99 ? '99+' : String(it.badge)) : null),
        h('span', { class: 'nav-label nav-label--long' }, it.label),
        it.badge ? h('span', { class: 'visually-hidden' }, `, ${it.badge} unread`) : null,
        h('span', { class: 'nav-label nav-label--short' }, it.short || it.label)))));
    const account = me
      ? h('a', { class: 'nav-account', href: `/@${me.username}`, id: 'nav-account' }, avatar(me, 'sm'),
        h('span', { class: 'nav-account-text' }, h('span', { class: 'nav-account-name' }, nameOf(me)), h('span', { class: 'nav-account-user' }, `@${me.username}`)))
      : h('div', { class: 'nav-auth' },
        h('a', { class: 'btn btn--primary btn--block', href: '/login', id: 'nav-login' }, 'Log in'),
        h('p', { class: 'nav-auth-note' }, 'Log in to follow creators, like videos and see comments.'),
        h('a', { class: 'nav-signup', href: '/signup' }, 'Create an account'));
    this.nav.replaceChildren(
      h('a', { class: 'brand', href: '/', 'aria-label': `${this.instanceName()} home` },
        h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, 'k'), h('span', { class: 'brand-word', 'aria-hidden': 'true' }, 'kurz')),
      list, account,
      h('p', { class: 'nav-foot' }, 'Free software · ', h('a', { href: '/api/v1/openapi.json' }, 'API'), ' · ', h('a', { href: '/ranking' }, 'How For You works')));
  }
}
