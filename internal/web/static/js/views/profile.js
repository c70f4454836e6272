// A profile: photo, names, bio, counts when the server gives them, the follow button and
// the grid of the account's videos.

import { h, icon, clear, safeURL } from '../dom.js';
import { avatar, button, emptyState, spinner, badge, busy, soonOr } from '../ui.js';
import { richText, nameOf, validVideoID } from '../text.js';
import { count, duration } from '../format.js';

export function profileView(ctx, route) {
  const { username } = route.params;
  const page = h('div', { class: 'page profile' }, h('div', { class: 'page-loading' }, spinner('Loading profile')));
  const view = { el: page, title: `@${username}` };
  ctx.api.get(`/accounts/${encodeURIComponent(username)}`).then((account) => {
    ctx.setTitle(`${nameOf(account)} (@${account.username})`);
    clear(page).append(header(ctx, account), videosSection(ctx, account));
  }).catch((e) => {
    clear(page).append(e.status === 404
      ? emptyState({ iconName: 'user', title: "This account doesn't exist", text: `Nobody here is called @${username}. Check the spelling, or search for them.` })
      : emptyState({ iconName: 'info', title: "Couldn't load this profile", text: e.message }));
  });
  return view;
}

function header(ctx, a) {
  const me = ctx.session.me;
  const own = me && me.id === a.id;
  const actions = h('div', { class: 'profile-actions' });
  if (own) {
    actions.append(h('a', { class: 'btn btn--secondary', href: '/settings' }, icon('settings'), h('span', { class: 'btn-label' }, 'Edit profile')),
      h('a', { class: 'btn btn--secondary', href: '/analytics', id: 'profile-analytics' }, icon('chart'), h('span', { class: 'btn-label' }, 'Analytics')));
  } else {
    const rel = a.relationship || {};
    let state = rel.following ? 'following' : rel.requested ? 'requested' : 'none';
    const follow = button('', { attrs: { id: 'follow' } });
    const render = () => {
      const label = state === 'following' ? 'Following' : state === 'requested' ? 'Requested'
        : rel.followed_by ? 'Follow back' : a.private ? 'Request to follow' : 'Follow';
      follow.querySelector('.btn-label').textContent = label;
      follow.className = `btn ${state === 'none' ? 'btn--primary' : 'btn--secondary'}`;
      follow.setAttribute('aria-pressed', String(state !== 'none'));
    };
    render();
    // One button follows, asks to follow a private account, or takes either back.
    follow.addEventListener('click', () => {
      if (!ctx.session.loggedIn) {
        ctx.router.navigate(`/login?next=${encodeURIComponent(`/@${a.username}`)}`);
        return;
      }
      const path = `/accounts/${encodeURIComponent(a.username)}/follow`;
      busy(follow, async () => {
        try {
          if (state === 'none') {
            const out = await ctx.api.post(path);
            state = out && out.state === 'pending' ? 'requested' : 'following';
          } else {
            await ctx.api.delete(path);
            state = 'none';
          }
          render();
        } catch (e) {
          ctx.toast.show(soonOr(e, 'Following is coming to this server soon.'), { kind: 'error' });
        }
      });
    });
    actions.append(follow);
  }
  const c = a.counts;
  const stats = c && typeof c === 'object'
    ? h('ul', { class: 'profile-stats' },
      [['following', 'Following'], ['followers', 'Followers'], ['likes', 'Likes']].map(([k, label]) =>
        h('li', null, h('strong', null, count(c[k])), ' ', h('span', null, label))))
    : null;
  return h('header', { class: 'profile-head' },
    avatar(a, 'xl'),
    h('div', { class: 'profile-id' },
      h('h1', { class: 'profile-name', id: 'page-title', tabindex: '-1' }, nameOf(a)),
      h('p', { class: 'profile-username' }, `@${a.username}`,
        a.role ? badge(a.role === 'admin' ? 'Admin' : 'Moderator', 'staff') : null,
        a.private ? h('span', { class: 'profile-lock', title: 'Private account' }, icon('lock'), h('span', { class: 'visually-hidden' }, 'Private account')) : null),
      stats,
      a.bio ? h('p', { class: 'profile-bio', id: 'profile-bio' }, richText(a.bio)) : null,
      actions));
}

// videosSection lists the account's videos from GET /accounts/{username}/videos; until the
// server offers that, or when there are none, it says so plainly.
function videosSection(ctx, a) {
  const grid = h('div', { class: 'video-grid', role: 'list' });
  const body = h('div', { class: 'profile-videos-body' }, spinner('Loading videos'));
  const el = h('section', { class: 'profile-videos', 'aria-labelledby': 'videos-title' },
    h('div', { class: 'tabs-line' }, h('h2', { id: 'videos-title', class: 'tabs-line-item is-active' }, icon('video'), 'Videos')),
    body);
  const me = ctx.session.me;
  const own = me && me.id === a.id;
  const none = () => emptyState({
    iconName: 'video', title: 'No videos yet',
    text: own ? 'Videos you post will appear here.' : `When @${a.username} posts videos, they will appear here.`,
    action: own ? h('a', { class: 'btn btn--primary', href: '/upload' }, 'Upload a video') : null,
  });
  ctx.api.get(`/accounts/${encodeURIComponent(a.username)}/videos`).then((page) => {
    const items = (page && Array.isArray(page.items) ? page.items : []).filter((v) => v && validVideoID(v.id));
    clear(body);
    if (!items.length) { body.append(none()); return; }
    for (const v of items) grid.append(own ? ownTile(v) : tile(v));
    body.append(grid);
  }).catch((e) => {
    clear(body);
    if (e.status === 403) {
      body.append(emptyState({ iconName: 'lock', title: 'This account is private', text: `Follow @${a.username} to see their videos.` }));
    } else if (e.status === 404) {
      body.append(none());
    } else {
      body.append(emptyState({ iconName: 'info', title: "Couldn't load videos", text: e.message }));
    }
  });
  return el;
}

// ownTile is a tile of the viewer's own video with a link to its analytics beside it.
function ownTile(v) {
  const t = tile(v);
  t.removeAttribute('role');
  return h('div', { class: 'tile-own', role: 'listitem' }, t,
    h('a', { class: 'tile-stats', href: `/analytics?video=${v.id}`, 'aria-label': `Analytics: ${v.caption ? v.caption.slice(0, 60) : 'video'}`, title: 'Analytics' },
      icon('chart')));
}

export function tile(v) {
  return h('a', { class: 'tile', href: `/v/${v.id}`, role: 'listitem', 'aria-label': v.caption ? v.caption.slice(0, 80) : 'Video' },
    thumbnail(v),
    h('span', { class: 'tile-views' }, icon('play'), count(v.counts && v.counts.views)),
    v.duration_ms ? h('span', { class: 'tile-duration' }, duration(v.duration_ms / 1000)) : null);
}

// thumbnail is the poster, or, until the server has made one, the first frame of the
// smallest rendition (the browser fetches only the start of the file for it).
function thumbnail(v) {
  const poster = safeURL(v.poster, 'media');
  if (poster) return h('img', { class: 'tile-img', src: poster, alt: '', loading: 'lazy' });
  const smallest = (Array.isArray(v.renditions) ? v.renditions : [])
    .filter((r) => r && safeURL(r.url, 'media'))
    .sort((a, b) => (a.width * a.height) - (b.width * b.height))[0];
  if (!smallest) return h('span', { class: 'tile-img' });
  return h('video', { class: 'tile-img', src: `${smallest.url}#t=0.1`, muted: true, playsInline: true, preload: 'metadata', 'aria-hidden': 'true', tabIndex: -1 });
}
