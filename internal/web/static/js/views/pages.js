// The smaller pages: search, upload, notifications, a hashtag, a single video, and "page
// not found". Where the server does not offer a feature yet, the page says so instead of
// pretending.

import { h, icon, clear } from '../dom.js';
import { emptyState, spinner, avatar, soonOr } from '../ui.js';
import { VerticalFeed } from '../player/feed.js';
import { nameOf, profilePath, tagPath, validVideoID, validUsername } from '../text.js';
import { ago, count } from '../format.js';
import { tile } from './profile.js';

function pageHead(title, ...extra) {
  return h('header', { class: 'page-head' }, h('h1', { class: 'page-title', id: 'page-title', tabindex: '-1' }, title), extra);
}

function needLogin(ctx, path) {
  if (ctx.session.loggedIn) return false;
  queueMicrotask(() => ctx.router.navigate(`/login?next=${encodeURIComponent(path)}`, { replace: true }));
  return true;
}

export function searchView(ctx, route) {
  const q = (route.query.get('q') || '').trim();
  const input = h('input', { type: 'search', id: 'search-q', name: 'q', class: 'input input--search', value: q,
    placeholder: 'Search accounts, hashtags and videos', autocomplete: 'off', 'aria-label': 'Search' });
  const form = h('form', { class: 'search-form', role: 'search', action: '/search' }, icon('search'), input);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const v = input.value.trim();
    ctx.router.navigate(v ? `/search?q=${encodeURIComponent(v)}` : '/search');
  });
  const results = h('div', { class: 'search-results', 'aria-live': 'polite' });
  if (q) {
    results.append(spinner('Searching'));
    ctx.api.get(`/search?q=${encodeURIComponent(q)}`).then((r) => renderResults(results, r, q)).catch((e) => {
      clear(results).append(emptyState({ iconName: 'search', title: e.missingEndpoint ? 'Search is coming soon' : "Couldn't search",
        text: soonOr(e, 'This server cannot search accounts, hashtags and videos yet.') }));
    });
  } else {
    results.append(h('p', { class: 'muted' }, 'Find people by name or @username, hashtags by #name, and videos by their captions.'));
  }
  queueMicrotask(() => { if (!q) input.focus(); });
  return { el: h('div', { class: 'page page--narrow' }, pageHead('Search'), form, results), title: q ? `${q} – Search` : 'Search' };
}

function renderResults(el, r, q) {
  clear(el);
  const accounts = Array.isArray(r && r.accounts) ? r.accounts : [];
  const tags = Array.isArray(r && r.hashtags) ? r.hashtags : [];
  const videos = (Array.isArray(r && r.videos) ? r.videos : []).filter((v) => v && validVideoID(v.id));
  if (!accounts.length && !tags.length && !videos.length) {
    el.append(emptyState({ iconName: 'search', title: 'No results', text: `Nothing matches “${q}”.` }));
    return;
  }
  if (accounts.length) {
    el.append(h('h2', { class: 'section-title' }, 'Accounts'), h('ul', { class: 'result-list' }, accounts.map((a) => {
      const href = profilePath(a.username);
      return href ? h('li', null, h('a', { class: 'result-account', href }, avatar(a, 'md'),
        h('span', null, h('strong', null, nameOf(a)), h('span', { class: 'muted' }, ` @${a.username}`)))) : null;
    })));
  }
  if (tags.length) {
    el.append(h('h2', { class: 'section-title' }, 'Hashtags'), h('ul', { class: 'result-list' }, tags.map((t) => {
      const href = tagPath(t.name);
      const n = Number(t.video_count) || 0;
      return href ? h('li', null, h('a', { class: 'result-tag', href }, h('span', { class: 'tag-mark tag-mark--sm', 'aria-hidden': 'true' }, '#'),
        h('span', null, h('strong', null, `#${t.name}`), h('span', { class: 'muted' }, ` · ${count(n)} ${n === 1 ? 'video' : 'videos'}`)))) : null;
    })));
  }
  if (videos.length) {
    el.append(h('h2', { class: 'section-title' }, 'Videos'), h('div', { class: 'video-grid', role: 'list' }, videos.map(tile)));
  }
}

export function notificationsView(ctx) {
  if (needLogin(ctx, '/notifications')) return { el: h('div', { class: 'page' }, spinner()), title: 'Notifications' };
  const body = h('div', null, spinner('Loading notifications'));
  ctx.api.get('/notifications').then((page) => {
    const items = Array.isArray(page && page.items) ? page.items : [];
    clear(body);
    if (!items.length) {
      body.append(emptyState({ iconName: 'bell', title: 'No notifications yet', text: 'Likes, comments, new followers and mentions will show up here.' }));
      return;
    }
    body.append(h('ul', { class: 'notification-list', id: 'notifications' }, items.map((n) => notification(ctx, n))));
    // Having seen them, they are read; the badge in the navigation goes.
    ctx.api.post('/notifications/read').then(() => ctx.session.dispatchEvent(new Event('notifications'))).catch(() => {});
  }).catch((e) => {
    clear(body).append(emptyState({ iconName: 'bell', title: e.missingEndpoint ? 'Notifications are coming soon' : "Couldn't load notifications",
      text: soonOr(e, 'This server does not send notifications yet. Likes, comments, new followers and mentions will show up here.') }));
  });
  return { el: h('div', { class: 'page page--narrow' }, pageHead('Notifications'), body), title: 'Notifications' };
}

// notification is one line: who, what, when, leading to the video or the person; a
// follow request can be answered on the spot.
function notification(ctx, n) {
  const who = Array.isArray(n.actors) && n.actors[0] ? n.actors[0] : null;
  const target = validVideoID(n.video_id) ? `/v/${n.video_id}` : who && profilePath(who.username);
  const text = h('p', { class: 'notification-text' }, typeof n.text === 'string' ? n.text : '',
    h('span', { class: 'muted' }, ` · ${ago(n.created_at)}`));
  const row = h('li', { class: ['notification', n.unread && 'is-unread'] },
    avatar(who, 'md'),
    target ? h('a', { class: 'notification-link', href: target }, text) : text);
  if (n.kind === 'follow_request' && who && validUsername(who.username)) {
    const path = `/me/follow-requests/${encodeURIComponent(who.username)}`;
    const answer = (approve) => async () => {
      try {
        if (approve) await ctx.api.post(path); else await ctx.api.delete(path);
        actions.replaceChildren(h('span', { class: 'muted' }, approve ? 'Approved' : 'Declined'));
      } catch (err) {
        ctx.toast.show(err.message, { kind: 'error' });
      }
    };
    const actions = h('div', { class: 'btn-row' },
      h('button', { type: 'button', class: 'btn btn--primary btn--small', onclick: answer(true) }, 'Approve'),
      h('button', { type: 'button', class: 'btn btn--ghost btn--small', onclick: answer(false) }, 'Decline'));
    row.append(actions);
  }
  return row;
}

// SORTS are the hashtag page's two orders, as GET /hashtags/{tag}/videos names them.
const SORTS = [
  ['top', 'Top', 'Ranked by recent engagement: likes, comments and shares, the newest counting most.'],
  ['newest', 'Newest', 'The latest videos first.'],
];

export function tagView(ctx, route) {
  const tag = route.params.tag;
  const sort = route.query.get('sort') === 'newest' ? 'newest' : 'top';
  const base = tagPath(tag) || `/tag/${encodeURIComponent(tag)}`;
  const body = h('div', null, spinner('Loading videos'));
  const countLine = h('p', { class: 'tag-count muted', id: 'tag-count' });
  const none = () => emptyState({ iconName: 'video', title: 'No videos yet', text: `Videos tagged #${tag} will show up here.` });
  ctx.api.get(`/hashtags/${encodeURIComponent(tag)}`).then((t) => {
    const n = Number(t && t.video_count) || 0;
    countLine.textContent = `${count(n)} ${n === 1 ? 'video' : 'videos'}`;
  }).catch(() => {});
  ctx.api.get(`/hashtags/${encodeURIComponent(tag)}/videos?sort=${sort}`).then((page) => {
    const items = (Array.isArray(page && page.items) ? page.items : []).filter((v) => v && validVideoID(v.id));
    clear(body);
    if (!items.length) body.append(none());
    else body.append(h('div', { class: 'video-grid', role: 'list', id: 'tag-videos' }, items.map(tile)));
  }).catch((e) => {
    clear(body).append(e.status === 404 ? none() : emptyState({ iconName: 'info', title: "Couldn't load videos", text: e.message }));
  });
  // The order is part of the address, so it survives a reload and can be shared.
  const toggle = h('nav', { class: 'sort-toggle', 'aria-label': 'Order' }, SORTS.map(([name, label]) => h('a', {
    href: name === 'top' ? base : `${base}?sort=${name}`, class: ['sort-option', name === sort && 'is-active'],
    'aria-current': name === sort ? 'page' : undefined, dataset: { sort: name },
  }, label)));
  return {
    el: h('div', { class: 'page' },
      h('header', { class: 'tag-head' }, h('span', { class: 'tag-mark', 'aria-hidden': 'true' }, '#'),
        h('div', { class: 'tag-id' }, h('h1', { class: 'page-title', id: 'page-title', tabindex: '-1' }, `#${tag}`), countLine)),
      h('div', { class: 'tag-bar' }, toggle, h('p', { class: 'tag-sort-note muted', id: 'tag-sort-note' }, SORTS.find((x) => x[0] === sort)[2])),
      body),
    title: `#${tag}`,
  };
}

export function videoView(ctx, route) {
  const id = route.params.id;
  const body = h('div', { class: 'feed-body' });
  const el = h('div', { class: 'page-feed' }, h('h1', { class: 'visually-hidden', id: 'page-title', tabindex: '-1' }, 'Video'), body);
  let player = null;
  if (!validVideoID(id)) {
    body.append(emptyState({ iconName: 'video', title: "This video isn't available", text: 'The link may be mistyped, or the video was removed.' }));
    return { el, title: 'Video', fullBleed: true };
  }
  player = new VerticalFeed({
    // "direct" is the events API's name for a video opened on its own page; the server
    // refuses a batch with a feed it does not know, which would drop these views.
    ctx, feed: 'direct', label: 'Video',
    loadPage: async () => ({ items: [await ctx.api.get(`/videos/${encodeURIComponent(id)}`)] }),
  });
  const wait = spinner('Loading video');
  body.append(player.el, wait);
  player.start().then(() => wait.remove()).catch((e) => {
    player.destroy();
    player = null;
    body.replaceChildren(emptyState({ iconName: 'video', title: "This video isn't available",
      text: e.status === 404 ? 'The link may be mistyped, or the video was removed.' : e.message }));
  });
  return { el, title: 'Video', destroy: () => { if (player) player.destroy(); }, fullBleed: true };
}

export function notFoundView() {
  return {
    el: h('div', { class: 'page page--narrow' },
      emptyState({ iconName: 'search', title: 'Page not found', text: 'There is nothing at this address.',
        action: h('a', { class: 'btn btn--primary', href: '/' }, 'Go to For You') })),
    title: 'Page not found',
  };
}
