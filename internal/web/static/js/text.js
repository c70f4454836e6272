// User text turned into page content: plain text nodes, with #hashtags and @mentions made
// into links to our own pages only after their names pass the same rules the server uses.
// No other text ever becomes a link, so "javascript:" in a bio stays words.

import { h } from './dom.js';

const USERNAME = /^[a-z0-9_.]{3,24}$/;
const TAG = /^[\p{L}\p{N}_]{1,100}$/u;
const VIDEO_ID = /^[0-9a-z]{10,40}$/;

export function validUsername(u) {
  return typeof u === 'string' && USERNAME.test(u) && !u.startsWith('.') && !u.endsWith('.') && !u.includes('..');
}

export function validTag(t) {
  return typeof t === 'string' && TAG.test(t);
}

export function validVideoID(id) {
  return typeof id === 'string' && VIDEO_ID.test(id);
}

export function profilePath(username) {
  return validUsername(username) ? `/@${username}` : null;
}

export function tagPath(tag) {
  return validTag(tag) ? `/tag/${encodeURIComponent(tag.toLowerCase())}` : null;
}

// A token starts at the text's start or after a character that cannot be part of a word,
// so "mail@example.com" is not a mention.
const TOKEN = /(^|[^\p{L}\p{N}_@#])([#@])([\p{L}\p{N}_.]+)/gu;

// richText returns nodes for text, with links for valid #tags and @mentions.
export function richText(text) {
  const out = [];
  if (typeof text !== 'string' || text === '') return out;
  let last = 0;
  for (const m of text.matchAll(TOKEN)) {
    const start = m.index + m[1].length;
    let name = m[3];
    // A trailing dot ends a sentence, not a username.
    while (name.endsWith('.')) name = name.slice(0, -1);
    const href = m[2] === '#' ? (name.includes('.') ? null : tagPath(name)) : profilePath(name.toLowerCase());
    if (!href) continue;
    if (start > last) out.push(text.slice(last, start));
    out.push(h('a', { href, class: m[2] === '#' ? 'hashtag' : 'mention' }, m[2] + name));
    last = start + 1 + name.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

// initial is the letter an avatar without a picture shows.
export function initial(account) {
  const s = (account && (account.display_name || account.username)) || '?';
  return Array.from(s.trim())[0]?.toUpperCase() || '?';
}

// nameOf is how an account is called on screen.
export function nameOf(account) {
  return (account && (account.display_name || account.username)) || '';
}
