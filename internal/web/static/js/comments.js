// The comment drawer of a video: the pinned comment first, replies one level deep, likes
// on comments, and a composer that can answer a comment.

import { h, icon, clear } from './dom.js';
import { avatar, sheet, spinner, soonOr, badge } from './ui.js';
import { richText, profilePath, nameOf } from './text.js';
import { ago, count } from './format.js';

// openComments shows the drawer for a video item; onAdded runs after each new comment so
// the caller can update its count.
export function openComments(ctx, item, onAdded) {
  const id = encodeURIComponent(item.id);
  const list = h('ul', { class: 'comments', id: 'comments' }, h('li', null, spinner('Loading comments')));
  const more = h('button', { type: 'button', class: 'link-btn', hidden: true }, 'Show more comments');
  let cursor = '';
  let replyTo = null;
  let first = true;

  const closed = item.allow_comments === false || item.who_can_comment === 'nobody';
  const input = h('input', { class: 'input composer-input', id: 'comment-input', placeholder: 'Add a comment…', maxLength: 500, autocomplete: 'off', 'aria-label': 'Add a comment' });
  const post = h('button', { type: 'submit', class: 'btn btn--primary composer-post', id: 'comment-post' }, 'Post');
  const replying = h('p', { class: 'composer-reply', hidden: true });
  const error = h('p', { class: 'field-error', role: 'alert', hidden: true });
  const setReply = (c) => {
    replyTo = c;
    clear(replying);
    replying.hidden = !c;
    if (c) {
      replying.append(`Replying to ${nameOf(c.author)}`, h('button', { type: 'button', class: 'link-btn', onclick: () => setReply(null) }, 'Cancel'));
      input.focus();
    }
  };
  let composer;
  if (closed) {
    composer = h('p', { class: 'sheet-note' }, 'Comments are turned off for this video.');
  } else if (!ctx.session.loggedIn) {
    composer = h('p', { class: 'sheet-note' }, h('a', { href: `/login?next=${encodeURIComponent(location.pathname)}` }, 'Log in'), ' to comment.');
  } else {
    composer = h('form', { class: 'composer' }, replying, h('div', { class: 'composer-row' }, input, post), error);
    composer.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = input.value.trim();
      if (!body) return;
      post.disabled = true;
      error.hidden = true;
      try {
        const c = await ctx.api.post(`/videos/${id}/comments`, replyTo ? { body, parent_id: replyTo.id } : { body });
        input.value = '';
        if (replyTo) {
          const box = list.querySelector(`[data-comment-id="${CSS.escape(replyTo.id)}"] .replies`);
          if (box) box.append(row(c, true));
          setReply(null);
        } else {
          const empty = list.querySelector('.comments-empty');
          if (empty) empty.remove();
          list.prepend(row(c, false));
        }
        if (onAdded) onAdded();
      } catch (err) {
        error.textContent = soonOr(err, 'Comments are coming to this server soon.');
        error.hidden = false;
      } finally {
        post.disabled = false;
      }
    });
  }

  // row draws one comment; replies get no reply button of their own (one level only).
  function row(c, isReply) {
    const href = c.author && profilePath(c.author.username);
    const likeCount = h('span', { class: 'comment-like-count' }, c.likes ? count(c.likes) : '');
    const like = h('button', { type: 'button', class: 'comment-like', 'aria-pressed': String(!!c.liked), 'aria-label': `Like this comment, ${count(c.likes)} likes` },
      icon('heart'), likeCount);
    like.addEventListener('click', async () => {
      if (!ctx.session.loggedIn) { ctx.toast.show('Log in to like comments.'); return; }
      const next = like.getAttribute('aria-pressed') !== 'true';
      like.setAttribute('aria-pressed', String(next));
      c.likes = Math.max(0, (c.likes || 0) + (next ? 1 : -1));
      likeCount.textContent = c.likes ? count(c.likes) : '';
      try {
        if (next) await ctx.api.post(`/comments/${encodeURIComponent(c.id)}/like`);
        else await ctx.api.delete(`/comments/${encodeURIComponent(c.id)}/like`);
      } catch (err) {
        like.setAttribute('aria-pressed', String(!next));
        c.likes = Math.max(0, c.likes + (next ? -1 : 1));
        likeCount.textContent = c.likes ? count(c.likes) : '';
        ctx.toast.show(soonOr(err, 'Comment likes are coming soon.'), { kind: 'error' });
      }
    });
    const actions = h('div', { class: 'comment-actions' }, h('span', { class: 'muted' }, ago(c.created_at)));
    if (!isReply && !closed && ctx.session.loggedIn) {
      actions.append(h('button', { type: 'button', class: 'link-btn', onclick: () => setReply(c) }, 'Reply'));
    }
    const replies = isReply ? null : h('ul', { class: 'replies' });
    if (!isReply && c.replies > 0) {
      const show = h('button', { type: 'button', class: 'link-btn replies-toggle' }, `View ${c.replies} ${c.replies === 1 ? 'reply' : 'replies'}`);
      show.addEventListener('click', async () => {
        show.disabled = true;
        try {
          const page = await ctx.api.get(`/comments/${encodeURIComponent(c.id)}/replies`);
          for (const r of page.items || []) replies.append(row(r, true));
          show.remove();
        } catch (err) {
          show.disabled = false;
          ctx.toast.show(err.message, { kind: 'error' });
        }
      });
      actions.append(show);
    }
    const author = h('span', { class: 'comment-author' }, nameOf(c.author));
    return h('li', { class: ['comment', c.pinned && 'comment--pinned'], dataset: { commentId: c.id } },
      href ? h('a', { href, class: 'comment-avatar', 'aria-label': `${nameOf(c.author)}'s profile` }, avatar(c.author, 'sm')) : avatar(c.author, 'sm'),
      h('div', { class: 'comment-body' },
        h('p', { class: 'comment-head' }, href ? h('a', { href, class: 'comment-author-link' }, author) : author,
          c.pinned ? badge('Pinned by creator', 'accent') : null, c.held ? badge('Held for review') : null),
        h('p', { class: 'comment-text' }, richText(typeof c.body === 'string' ? c.body : '')),
        actions, replies),
      like);
  }

  const load = async () => {
    const page = await ctx.api.get(`/videos/${id}/comments${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`);
    const items = Array.isArray(page && page.items) ? page.items : [];
    if (first) { clear(list); first = false; }
    // The pinned comment leads, as the creator meant it to.
    items.sort((a, b) => Number(!!b.pinned) - Number(!!a.pinned));
    for (const c of items) list.append(row(c, false));
    cursor = (page && page.next_cursor) || '';
    more.hidden = !cursor;
  };
  more.addEventListener('click', () => load().catch((err) => ctx.toast.show(err.message, { kind: 'error' })));
  load().then(() => {
    if (!list.children.length) list.append(h('li', { class: 'comments-empty sheet-note' }, 'No comments yet. Start the conversation.'));
  }).catch((err) => {
    clear(list).append(h('li', { class: 'sheet-note' }, soonOr(err, 'Comments are coming to this server soon.')));
  });

  const c = item.counts && item.counts.comments;
  sheet({ title: c ? `${count(c)} comments` : 'Comments', content: h('div', { class: 'comments-panel' }, list, more, composer) });
  if (!closed && ctx.session.loggedIn) input.focus();
}
