// The home page: For You, Following and Trending over one vertical player.

import { h } from '../dom.js';
import { VerticalFeed } from '../player/feed.js';
import { emptyState, spinner, button } from '../ui.js';

const TABS = [
  ['following', 'Following', '/following'],
  ['for_you', 'For You', '/'],
  ['trending', 'Trending', '/trending'],
];

const EMPTY = {
  for_you: 'When people on this server post videos, they will show up here.',
  following: 'Videos from accounts you follow will show up here.',
  trending: 'Videos that many people watch will show up here.',
};

export function feedView(ctx, route) {
  const feed = route.params.feed;
  const tabs = h('nav', { class: 'feed-tabs', 'aria-label': 'Feeds' },
    TABS.map(([name, label, href]) => h('a', {
      href, class: ['feed-tab', name === feed && 'is-active'], 'aria-current': name === feed ? 'page' : undefined,
    }, label)));
  const body = h('div', { class: 'feed-body' });
  const title = h('h1', { class: 'visually-hidden', id: 'page-title', tabindex: '-1' }, TABS.find((t) => t[0] === feed)[1]);
  const el = h('div', { class: 'page-feed' }, title, tabs, body);
  let player = null;

  // missing: the server has no such feed yet, which is worth saying when videos exist.
  // notice: the server's word on why the first page is empty, e.g. that the viewer has
  // seen everything in it recently.
  const showEmpty = (missing, notice = '') => {
    if (notice) {
      body.replaceChildren(emptyState({
        iconName: 'video', title: "You're all caught up", text: notice,
        action: h('a', { class: 'btn btn--secondary', href: '/search' }, 'Search for videos'),
      }));
      return;
    }
    body.replaceChildren(emptyState({
      iconName: 'video', title: 'No videos yet',
      text: missing ? `${EMPTY[feed]} This server does not assemble this feed yet; find videos on people's profiles.` : EMPTY[feed],
      action: h('a', { class: 'btn btn--primary', href: '/upload' }, 'Upload a video'),
    }));
  };

  const load = () => {
    if (feed === 'following' && !ctx.session.loggedIn) {
      body.replaceChildren(emptyState({
        iconName: 'following', title: 'See videos from people you follow',
        text: 'Log in to see the latest videos from the accounts you follow.',
        action: h('a', { class: 'btn btn--primary', href: '/login?next=%2Ffollowing' }, 'Log in'),
      }));
      return;
    }
    let notice = '';
    player = new VerticalFeed({
      ctx, feed, label: `${TABS.find((t) => t[0] === feed)[1]} videos`,
      loadPage: async (cursor) => {
        const page = await ctx.api.get(`/feed/${feed}${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`);
        if (!cursor) notice = (page && page.caught_up && page.notice) || '';
        return page;
      },
    });
    // The player is in the page before it starts, so it can measure its slides.
    const wait = spinner('Loading videos');
    body.replaceChildren(player.el, wait);
    player.start().then((n) => {
      if (n) wait.remove();
      else showEmpty(false, notice);
    }).catch((e) => {
      player.destroy();
      player = null;
      // The feed endpoints arrive with the feed service; until then there is nothing to show.
      if (e.status === 404) { showEmpty(e.missingEndpoint); return; }
      body.replaceChildren(emptyState({
        iconName: 'info', title: "Couldn't load videos", text: e.message,
        action: button('Try again', { kind: 'secondary', onClick: load }),
      }));
    });
  };
  load();
  return { el, title: TABS.find((t) => t[0] === feed)[1], destroy: () => { if (player) player.destroy(); }, fullBleed: true };
}
