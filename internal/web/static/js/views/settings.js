// Settings: profile (name, bio, photo), privacy, the personalisation switch and the video
// language, password, the sessions signed in to this account, and the visitor's data.

import { h, icon, clear } from '../dom.js';
import { ApiError } from '../api.js';
import { field, formAlert, showApiError, busy, button, iconButton, avatar, switchControl, badge, spinner, sheet, soonOr, setChildren } from '../ui.js';
import { ago, date, dateTime, bytes } from '../format.js';
import { cryptoAvailable, verifyAccessLog } from '../transparency.js';
import { profilePath, tagPath, validVideoID } from '../text.js';
import { browserLanguage, languageName, languageOptions } from '../languages.js';

const AVATAR_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];

function section(id, title, description, ...body) {
  return h('section', { class: 'card settings-section', id, 'aria-labelledby': `${id}-title` },
    h('h2', { class: 'section-title', id: `${id}-title` }, title),
    description ? h('p', { class: 'section-desc' }, description) : null,
    body);
}

export function settingsView(ctx) {
  if (!ctx.session.loggedIn) {
    queueMicrotask(() => ctx.router.navigate('/login?next=%2Fsettings', { replace: true }));
    return { el: h('div', { class: 'page' }, spinner()), title: 'Settings' };
  }
  const me = ctx.session.me;
  const sessions = sessionsSection(ctx);
  const page = h('div', { class: 'page page--narrow settings' },
    h('header', { class: 'page-head' },
      h('h1', { class: 'page-title', id: 'page-title', tabindex: '-1' }, 'Settings'),
      h('a', { class: 'btn btn--ghost', href: `/@${me.username}` }, 'View profile')),
    profileSection(ctx),
    privacySection(ctx),
    passwordSection(ctx, () => sessions.reload()),
    sessions.el,
    dataSection(ctx),
    h('div', { class: 'settings-logout' },
      button('Log out', { kind: 'secondary', iconName: 'logout', attrs: { id: 'logout' }, onClick: async (e) => {
        await busy(e.currentTarget, async () => {
          try {
            await ctx.session.logOut();
            ctx.toast.show('You are logged out.');
            ctx.router.navigate('/', { replace: true });
          } catch (err) {
            ctx.toast.show(err.message, { kind: 'error' });
          }
        });
      } })));
  return { el: page, title: 'Settings' };
}

function profileSection(ctx) {
  const me = ctx.session.me;
  const limits = ctx.session.instance.limits || {};
  const maxAvatar = limits.max_avatar_bytes || 10 << 20;

  // Photo: pick a file, see it at once from a blob: URL, then save or cancel.
  const photoBox = h('div', { class: 'photo-preview' }, avatar(me, 'xl'));
  const photoAlert = formAlert();
  const fileInput = h('input', { type: 'file', id: 'avatar-file', accept: AVATAR_TYPES.join(','), class: 'visually-hidden' });
  const pick = h('label', { class: 'btn btn--secondary', htmlFor: 'avatar-file' }, icon('camera'), h('span', { class: 'btn-label' }, 'Change photo'));
  const save = button('Save photo', { attrs: { id: 'avatar-save', hidden: true } });
  const cancel = button('Cancel', { kind: 'ghost', attrs: { hidden: true } });
  const remove = button('Remove', { kind: 'ghost', attrs: { id: 'avatar-remove', hidden: !me.avatar } });
  let chosen = null, previewURL = '';
  const showCurrent = () => {
    if (previewURL) URL.revokeObjectURL(previewURL);
    previewURL = '';
    chosen = null;
    fileInput.value = '';
    clear(photoBox).append(avatar(ctx.session.me, 'xl'));
    save.hidden = true;
    cancel.hidden = true;
    pick.hidden = false;
    remove.hidden = !ctx.session.me.avatar;
  };
  fileInput.addEventListener('change', () => {
    photoAlert.clear();
    const f = fileInput.files && fileInput.files[0];
    if (!f) return;
    if (!AVATAR_TYPES.includes(f.type)) {
      photoAlert.show('Choose a JPEG, PNG, GIF or WebP image.');
      fileInput.value = '';
      return;
    }
    if (f.size > maxAvatar) {
      photoAlert.show(`That image is ${bytes(f.size)}; a photo can be at most ${bytes(maxAvatar)}.`);
      fileInput.value = '';
      return;
    }
    if (previewURL) URL.revokeObjectURL(previewURL);
    chosen = f;
    previewURL = URL.createObjectURL(f);
    clear(photoBox).append(h('img', { class: 'avatar avatar--xl', src: previewURL, alt: 'Preview of your new photo', id: 'avatar-preview' }));
    save.hidden = false;
    cancel.hidden = false;
    pick.hidden = true;
    remove.hidden = true;
    save.focus();
  });
  cancel.addEventListener('click', showCurrent);
  save.addEventListener('click', () => busy(save, async () => {
    try {
      const out = await ctx.api.request('PUT', '/me/avatar', { body: chosen, contentType: chosen.type });
      ctx.session.set(out);
      showCurrent();
      ctx.toast.show('Photo updated.');
    } catch (err) {
      photoAlert.show(err.message);
    }
  }));
  remove.addEventListener('click', () => busy(remove, async () => {
    try {
      ctx.session.set(await ctx.api.delete('/me/avatar'));
      showCurrent();
      ctx.toast.show('Photo removed.');
    } catch (err) {
      photoAlert.show(err.message);
    }
  }));

  const fields = {
    display_name: field({ id: 'display_name', label: 'Display name', value: me.display_name || '', max: limits.max_display_name || 50, autocomplete: 'name' }),
    bio: field({ id: 'bio', label: 'Bio', value: me.bio || '', max: limits.max_bio || 500, multiline: true,
      hint: 'Tell people what your videos are about. #hashtags and @mentions become links.' }),
  };
  const alert = formAlert();
  const submit = button('Save profile', { type: 'submit', attrs: { id: 'profile-save' } });
  const form = h('form', { class: 'form', novalidate: true }, fields.display_name.el, fields.bio.el, alert.el,
    h('div', { class: 'form-actions' }, submit));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    alert.clear();
    busy(submit, async () => {
      try {
        const out = await ctx.api.patch('/me', { display_name: fields.display_name.input.value, bio: fields.bio.input.value });
        ctx.session.set(out);
        fields.display_name.input.value = out.display_name || '';
        fields.bio.input.value = out.bio || '';
        alert.show('Profile saved.', 'ok');
      } catch (err) {
        showApiError(err, fields, alert);
      }
    });
  });

  return section('profile', 'Profile', 'This is what everyone sees on your profile and next to your videos.',
    h('div', { class: 'photo-row' }, photoBox,
      h('div', { class: 'photo-actions' },
        h('p', { class: 'photo-title' }, 'Profile photo'),
        h('p', { class: 'setting-help' }, `JPEG, PNG, GIF or WebP, up to ${bytes(maxAvatar)}. Location and camera data are removed.`),
        h('div', { class: 'btn-row' }, fileInput, pick, save, cancel, remove),
        photoAlert.el)),
    form);
}

function privacySection(ctx) {
  const me = ctx.session.me;
  const patch = (key, on, says) => async (next) => {
    try {
      ctx.session.set(await ctx.api.patch('/me', { [key]: next }));
      ctx.toast.show(next ? on : says);
    } catch (err) {
      ctx.toast.show(err.message, { kind: 'error' });
      throw err;
    }
  };
  const priv = switchControl({
    id: 'private-switch', label: 'Private account', checked: me.private,
    help: 'Only followers you approve can see your videos and who you follow.',
    onChange: patch('private', 'Your account is private.', 'Your account is public.'),
  });
  const pers = switchControl({
    id: 'personalised-switch', label: 'Personalised For You feed', checked: me.personalised,
    help: 'On: For You is ranked by what you watch, like and follow. Off: it shows popular and recent videos, the same for everyone, and your activity is not used to rank it.',
    onChange: patch('personalised', 'For You is personalised again.', 'For You is no longer personalised.'),
  });
  return section('privacy', 'Privacy and feed', null, priv.el, pers.el, videoLanguage(ctx));
}

// videoLanguage is the "Video language" choice: Trending and For You's trending videos put
// this language first. "" leaves it to the browser, whose first language the server reads.
// It saves on change, like the switches; changes made while one is saving go in order.
function videoLanguage(ctx) {
  const own = browserLanguage();
  const chosen = ctx.session.me.language || '';
  const select = h('select', { id: 'video-language', class: 'input setting-select', 'aria-describedby': 'video-language-help' },
    h('option', { value: '' }, own ? `Same as this browser (${languageName(own)})` : 'Same as this browser'),
    languageOptions(chosen).map(([c, n]) => h('option', { value: c }, n)));
  select.value = chosen;
  let saved = chosen, queue = Promise.resolve();
  const save = async (next) => {
    select.setAttribute('aria-busy', 'true');
    try {
      ctx.session.set(await ctx.api.patch('/me', { language: next }));
      saved = next;
      ctx.toast.show(next ? `Trending shows videos in ${languageName(next)} first.` : 'Trending follows this browser\'s language again.');
    } catch (err) {
      if (select.value === next) select.value = saved;
      ctx.toast.show(err.message, { kind: 'error' });
    } finally {
      select.removeAttribute('aria-busy');
    }
  };
  select.addEventListener('change', () => {
    const next = select.value;
    queue = queue.then(() => save(next));
  });
  return h('div', { class: 'setting-row setting-row--select' },
    h('div', { class: 'setting-text' },
      h('label', { class: 'setting-label', htmlFor: 'video-language' }, 'Video language'),
      h('p', { class: 'setting-help', id: 'video-language-help' }, 'Trending, and the trending videos in For You, show videos in this language first.')),
    select);
}

function passwordSection(ctx, onChanged) {
  const minPw = (ctx.session.instance.limits || {}).min_password_length || 12;
  const fields = {
    current_password: field({ id: 'current_password', label: 'Current password', type: 'password', autocomplete: 'current-password' }),
    new_password: field({ id: 'new_password', label: 'New password', type: 'password', autocomplete: 'new-password', hint: `At least ${minPw} characters.` }),
    confirm: field({ id: 'confirm_password', label: 'Repeat the new password', type: 'password', autocomplete: 'new-password' }),
  };
  const alert = formAlert();
  const submit = button('Change password', { type: 'submit', kind: 'secondary' });
  const form = h('form', { class: 'form', novalidate: true }, Object.values(fields).map((f) => f.el), alert.el,
    h('div', { class: 'form-actions' }, submit));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    alert.clear();
    const cur = fields.current_password.input.value, nw = fields.new_password.input.value;
    if (nw !== fields.confirm.input.value) {
      fields.confirm.setError('The two new passwords differ.');
      fields.confirm.input.focus();
      return;
    }
    busy(submit, async () => {
      try {
        await ctx.api.put('/me/password', { current_password: cur, new_password: nw });
        for (const f of Object.values(fields)) f.input.value = '';
        alert.show('Password changed. Your other sessions were logged out.', 'ok');
        onChanged();
      } catch (err) {
        showApiError(err, fields, alert);
      }
    });
  });
  return section('password', 'Password', 'Changing it logs out every other session.', form);
}

function sessionsSection(ctx) {
  const list = h('ul', { class: 'session-list', 'aria-live': 'polite' });
  const more = button('Show more', { kind: 'ghost', attrs: { hidden: true } });
  let cursor = '';
  const load = async (reset) => {
    if (reset) { cursor = ''; clear(list).append(h('li', { class: 'session-loading' }, spinner('Loading sessions'))); }
    try {
      const page = await ctx.api.get(`/sessions${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`);
      if (reset) clear(list);
      for (const s of page.items || []) list.append(sessionRow(ctx, s));
      cursor = page.next_cursor || '';
      more.hidden = !cursor;
    } catch (err) {
      clear(list).append(h('li', { class: 'session-error' }, err.message));
    }
  };
  more.addEventListener('click', () => busy(more, () => load(false)));
  load(true);
  const el = section('sessions', 'Where you are logged in', 'Log out any session you do not recognise.', list, more);
  return { el, reload: () => load(true) };
}

function sessionRow(ctx, s) {
  const kindIcon = s.kind === 'token' ? 'key' : /android|iphone|ipad|mobile/i.test(s.device || '') ? 'phone' : 'monitor';
  const label = s.device || (s.kind === 'token' ? 'API token' : 'Unknown browser');
  const revoke = button(s.current ? 'Log out' : 'Revoke', {
    kind: s.current ? 'secondary' : 'danger',
    attrs: { 'aria-label': s.current ? 'Log out of this session' : `Revoke the session on ${label}`, dataset: { session: s.id } },
  });
  const row = h('li', { class: 'session', dataset: { sessionId: s.id } },
    h('span', { class: 'session-icon', 'aria-hidden': 'true' }, icon(kindIcon)),
    h('div', { class: 'session-text' },
      h('p', { class: 'session-device' }, label, s.current ? badge('This device', 'accent') : null, s.kind === 'token' ? badge('API token') : null),
      h('p', { class: 'session-when' },
        h('span', { title: dateTime(s.created_at) }, `Logged in ${ago(s.created_at)}`), ' · ',
        h('span', { title: dateTime(s.last_seen_at) }, `active ${ago(s.last_seen_at)}`))),
    revoke);
  revoke.addEventListener('click', () => busy(revoke, async () => {
    try {
      if (s.current) {
        await ctx.session.logOut();
        ctx.toast.show('You are logged out.');
        ctx.router.navigate('/', { replace: true });
        return;
      }
      await ctx.api.delete(`/sessions/${encodeURIComponent(s.id)}`);
      row.remove();
      ctx.toast.show(`Logged out ${label}.`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) row.remove();
      ctx.toast.show(err.message, { kind: 'error' });
    }
  }));
  return row;
}

const PURPOSES = {
  abuse_report: 'investigating a report about your account',
  legal_request: 'answering a court order or a lawful request from an authority',
  account_recovery: 'helping you get back into your account',
  security_investigation: 'investigating a compromise or an attack involving your account',
  support_request: 'answering your own support request',
  data_export: 'building your "download my data" archive',
};
const FIELDS = {
  email: 'e-mail address', phone: 'phone number', birth_date: 'birth date',
  session_ips: 'log-in IP addresses', session_user_agents: 'log-in devices',
};
const ROLES = { admin: 'An administrator', moderator: 'A moderator', system: 'kurz itself', operator: 'The server operator' };

function dataSection(ctx) {
  return section('data', 'Your data', 'kurz keeps your personal data encrypted under a key of its own.',
    interests(ctx), whatWeStore(ctx), accessLog(ctx), exportArchive(ctx), deletion(ctx));
}

// interestLink shows one learned interest, a hashtag or an account, with its strength in
// words; the name is a link only when it passes the same rules as everywhere else.
function interestLink(it, kind) {
  const label = kind === 'tag' ? `#${it.name}` : `@${it.name}`;
  const path = kind === 'tag' ? tagPath(it.name) : profilePath(it.name);
  return h('li', { class: 'interest', dataset: { strength: it.strength } },
    path ? h('a', { href: path, class: 'interest-name' }, label) : h('span', { class: 'interest-name' }, label),
    badge(it.strength, it.strength === 'strong' ? 'accent' : ''));
}

function interestList(id, items, kind) {
  return h('ul', { class: 'interest-list', id }, items.map((it) => interestLink(it, kind)));
}

// interests shows what the For You recommender learned about you, in words, and lets you
// make it forget (Refresh For You, after a confirmation).
function interests(ctx) {
  const box = h('div', { id: 'interests', 'aria-live': 'polite', tabindex: '-1' }, spinner('Loading your interests'));
  const reset = button('Reset my interests', { kind: 'secondary', iconName: 'sparkle', attrs: { id: 'reset-interests' } });
  const load = async () => {
    try {
      const p = await ctx.api.get('/me/interests');
      const learned = p.learned || {}, choices = p.choices || {};
      const tags = learned.hashtags || [], accounts = learned.accounts || [];
      // Each mark with a button that takes it back: [target, name, label, link].
      const marks = [
        ...(choices.not_interested_hashtags || []).map((t) => ['hashtag', t, `#${t}`, tagPath(t)]),
        ...(choices.not_interested_accounts || []).map((a) => ['creator', a, `@${a}`, profilePath(a)]),
        ...(choices.not_interested_videos || []).filter(validVideoID).map((v) => ['video', v, 'a video', `/v/${v}`]),
      ];
      setChildren(box,
        h('ul', { class: 'interest-summary', id: 'interest-summary' }, (p.summary || []).map((line) => h('li', null, line))),
        tags.length ? h('p', { class: 'data-subtitle' }, 'Hashtags you engage with') : null,
        tags.length ? interestList('interest-hashtags', tags, 'tag') : null,
        accounts.length ? h('p', { class: 'data-subtitle' }, 'Accounts you engage with') : null,
        accounts.length ? interestList('interest-accounts', accounts, 'account') : null,
        marks.length ? h('p', { class: 'data-subtitle' }, 'You said "not interested" in') : null,
        marks.length ? h('ul', { class: 'interest-list', id: 'interest-marks' }, marks.map((m) => markItem(...m))) : null);
      reset.disabled = !(tags.length || accounts.length || learned.recent_engaged_videos || learned.recent_turned_away_videos || learned.taste_vector);
    } catch (err) {
      clear(box).append(h('p', { class: 'access-empty' }, soonOr(err, 'Reading your interest profile is not available on this server yet.')));
      reset.disabled = true;
    }
  };
  // markItem shows one "not interested" mark and a button that takes it back; the profile
  // is read again after, so the summary says the same as the list.
  const markItem = (target, name, label, link) => {
    const what = target === 'video' ? 'this video' : label;
    const undo = iconButton('close', `Take back "not interested" in ${what}`, {
      attrs: { dataset: { undoTarget: target, undoName: name } },
      onClick: () => busy(undo, async () => {
        try {
          await ctx.api.delete(`/me/not-interested/${encodeURIComponent(target)}/${encodeURIComponent(name)}`);
          await load();
          ctx.toast.show(target === 'video' ? 'That video can be recommended again.' : `You can see ${label} again in For You.`);
          (box.querySelector('#interest-marks button') || box).focus();
        } catch (err) {
          if (err instanceof ApiError && err.status === 404) await load();
          ctx.toast.show(err.message, { kind: 'error' });
        }
      }),
    });
    return h('li', { class: 'interest', dataset: { mark: target } },
      link ? h('a', { class: 'interest-name', href: link }, label) : h('span', { class: 'interest-name' }, label), undo);
  };
  reset.addEventListener('click', () => {
    const alert = formAlert();
    const confirm = button('Reset my interests', { type: 'submit', kind: 'danger', attrs: { id: 'reset-interests-confirm' } });
    const form = h('form', { class: 'form', novalidate: true },
      h('p', null, 'kurz forgets the hashtags and accounts it learned you like, and your taste vector, at once. Your For You feed starts again from popular videos and learns anew from what you watch.'),
      h('p', { class: 'setting-help' }, 'Your "not interested" marks, the accounts you follow and the videos you have already seen stay, so those do not come back. Your watch history is not deleted by a reset: "What kurz stores about you" below says how long it is kept.'),
      alert.el, h('div', { class: 'form-actions' }, confirm));
    const dlg = sheet({ title: 'Reset your interests?', content: form });
    confirm.focus();
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      busy(confirm, async () => {
        try {
          await ctx.api.post('/feed/refresh');
          dlg.close();
          await load();
          ctx.toast.show('Your interests were reset.');
        } catch (err) {
          alert.show(err.message);
        }
      });
    });
  });
  load();
  return h('div', { class: 'data-block' },
    h('h3', { class: 'data-title' }, 'Your interests'),
    h('p', { class: 'setting-help' }, 'What the For You feed learned from your watching. Only you can see this.'),
    box, h('div', { class: 'btn-row' }, reset));
}

const CATEGORIES = {
  profile: 'Profile', password: 'Password', contact_and_age: 'Contact details and age', sessions: 'Log-ins',
  log_in_origins: 'Where you logged in from', invites: 'Invitations', deletion_request: 'Account deletion request',
  videos: 'Your videos', video_files: 'Video files', uploads: 'Uploads in progress', comments: 'Comments',
  comment_filters: 'Comment filters', likes: 'Likes', follows: 'Follows and follow requests', blocks_and_mutes: 'Blocks and mutes',
  notifications: 'Notifications', watch_history: 'Watch history', not_interested: '"Not interested" marks',
  interest_profile: 'Interest profile', creator_analytics: 'Creator analytics', access_log: 'Access log', exports: 'Data archives',
};

// archivePlace names where the archive holds a category: "social/activity.json#likes" is
// the likes part of social/activity.json.
function archivePlace(place) {
  const [file, key] = place.split('#');
  if (key) return `${file} (${key.replaceAll('_', ' ')})`;
  const star = file.indexOf('*');
  return star < 0 ? file : `${file.slice(0, star)} (a file for each)`;
}

// whatWeStore lists each kind of data kurz keeps about you: what it is, why, for how long,
// whether it is encrypted and whether kurz holds any of it for you now.
function whatWeStore(ctx) {
  const list = h('ul', { class: 'category-list', id: 'data-categories' }, h('li', null, spinner('Loading what kurz stores')));
  ctx.api.get('/me/privacy').then((inv) => {
    clear(list);
    for (const c of inv.categories || []) {
      const places = Array.isArray(c.in_export) ? c.in_export : [];
      list.append(h('li', { class: 'category', dataset: { category: c.name } },
        h('p', { class: 'category-head' }, CATEGORIES[c.name] || c.name,
          c.held ? badge('Held now', 'accent') : badge('None held'), c.encrypted ? badge('Encrypted', 'ok') : null),
        h('p', { class: 'setting-help' }, (c.data || []).join('; ')),
        c.held && c.amount ? h('p', { class: 'category-line category-amount' }, h('span', { class: 'category-key' }, 'Now: '), c.amount) : null,
        h('p', { class: 'category-line' }, h('span', { class: 'category-key' }, 'Why: '), c.why),
        h('p', { class: 'category-line' }, h('span', { class: 'category-key' }, 'How long: '), c.retention),
        h('p', { class: 'category-line category-export' }, h('span', { class: 'category-key' }, 'In your archive: '),
          places.length ? places.map(archivePlace).join(', ') : 'not included')));
    }
  }).catch((e) => {
    clear(list).append(h('li', { class: 'access-empty' }, soonOr(e, 'This list is not available on this server yet.')));
  });
  return h('div', { class: 'data-block' },
    h('h3', { class: 'data-title' }, 'What kurz stores about you'),
    h('p', { class: 'setting-help' }, 'Each kind of data, why it is kept, for how long, how much of it kurz holds now, and where your archive has it.'),
    list);
}

// exportArchive has the server build the full archive — video files, comments, watch
// history, the interest profile and the access log with its proofs — shows its progress,
// and offers the single-use link once it is ready.
function exportArchive(ctx) {
  const start = button('Build my archive', { kind: 'secondary', iconName: 'download', attrs: { id: 'export-start' } });
  const status = h('div', { class: 'export-status', id: 'export-status', 'aria-live': 'polite' });
  let timer = 0;
  const show = (e, url) => {
    if (e.state === 'running') {
      clear(status).append(h('progress', { class: 'upload-bar', max: 100, value: e.progress || 0, 'aria-label': 'Archive progress' }),
        h('p', { class: 'setting-help' }, `Building your archive… ${e.progress || 0}%`));
      return false;
    }
    if (e.state === 'ready') {
      clear(status).append(
        h('p', { class: 'setting-help' }, `Ready: ${bytes(e.bytes || 0)}. The link works once, until ${dateTime(e.expires_at)}.`),
        h('div', { class: 'btn-row' }, h('a', { class: 'btn btn--primary', id: 'export-download', href: url, download: '' },
          icon('download'), h('span', { class: 'btn-label' }, 'Download the archive (ZIP)'))));
      status.querySelector('a').addEventListener('click', () => {
        setTimeout(() => clear(status).append(h('p', { class: 'setting-help' }, 'Downloaded. Build a new archive whenever you like.')), 0);
      });
      return true;
    }
    clear(status).append(h('p', { class: 'setting-help is-bad' }, e.failure || 'Building the archive failed. Try again.'));
    return true;
  };
  const poll = (id, url) => {
    timer = setTimeout(async () => {
      if (!status.isConnected) return;
      try {
        if (!show(await ctx.api.get(`/me/exports/${encodeURIComponent(id)}`), url)) poll(id, url);
      } catch (err) {
        clear(status).append(h('p', { class: 'setting-help is-bad' }, err.message));
      }
    }, 1000);
  };
  start.addEventListener('click', () => busy(start, async () => {
    clearTimeout(timer);
    try {
      const e = await ctx.api.post('/me/exports');
      if (!show(e, e.download_url)) poll(e.id, e.download_url);
    } catch (err) {
      clear(status).append(h('p', { class: 'setting-help is-bad' }, soonOr(err, 'Archives are not available on this server yet.')));
    }
  }));
  return h('div', { class: 'data-block' },
    h('h3', { class: 'data-title' }, 'Download my data'),
    h('p', { class: 'setting-help' }, 'Your data, built on the server as one ZIP: your videos\' files, comments, likes, follows, watch history, interest profile and the access log with its proofs, with a README that explains each file. The list above says where each kind of data is in it, and which kinds it leaves out.'),
    h('div', { class: 'btn-row' }, start), status);
}

// accessLog lists every read of your personal data by anyone but you, each checked in this
// browser against the log's signed checkpoint.
function accessLog(ctx) {
  const list = h('ul', { class: 'access-list', id: 'access-log' }, h('li', null, spinner('Loading the access log')));
  const note = h('p', { class: 'setting-help', id: 'access-log-checkpoint' });
  ctx.api.get('/me/access-log').then(async (log) => {
    clear(list);
    const items = Array.isArray(log.items) ? log.items : [];
    const size = log.checkpoint ? log.checkpoint.tree_size : 0;
    if (!items.length) list.append(h('li', { class: 'access-empty' }, 'Nobody but you has read your personal data.'));
    const rows = items.map((it) => {
      const what = (it.fields || []).map((f) => FIELDS[f] || f).join(', ') || 'personal data';
      const verdict = h('span', { class: 'badge' }, 'Checking…');
      list.append(h('li', { class: 'access-entry' },
        h('span', { class: 'session-icon', 'aria-hidden': 'true' }, icon('shield')),
        h('div', { class: 'session-text' },
          h('p', { class: 'session-device' }, `${ROLES[it.role] || 'Someone'} read your ${what}`),
          h('p', { class: 'session-when' }, `${dateTime(it.at)} · for ${PURPOSES[it.purpose] || it.purpose}`)),
        verdict));
      return verdict;
    });
    if (!cryptoAvailable()) {
      note.textContent = `The log holds ${size} ${size === 1 ? 'entry' : 'entries'}. This page is not served over HTTPS, so the browser cannot check the proofs here.`;
      rows.forEach((v) => { v.textContent = 'Not checked'; });
      return;
    }
    const result = await verifyAccessLog(log);
    note.textContent = result.checkpoint.ok
      ? `Checked in this browser against the log's signed checkpoint (${size} ${size === 1 ? 'entry' : 'entries'} in all). Log key: ${log.checkpoint.verifier_key}`
      : `The log's checkpoint did not verify: ${result.checkpoint.reason}.`;
    note.classList.toggle('is-bad', !result.checkpoint.ok);
    rows.forEach((v, i) => {
      v.textContent = result.entries[i] ? 'Verified' : 'Proof failed';
      v.className = `badge ${result.entries[i] ? 'badge--ok' : 'badge--bad'}`;
    });
  }).catch((e) => {
    clear(list).append(h('li', { class: 'access-empty' }, soonOr(e, 'Reading the access log is not available on this server yet.')));
  });
  return h('div', { class: 'data-block' },
    h('h3', { class: 'data-title' }, 'Access log'),
    h('p', { class: 'setting-help' }, 'Every time anyone but you reads your personal data, it is entered in a tamper-evident log, with the reason they gave.'),
    list, note);
}

// deletion asks for the password, then schedules the account's deletion; logging in again
// during the grace period cancels it.
function deletion(ctx) {
  const open = button('Delete account', { kind: 'danger', iconName: 'trash', attrs: { id: 'delete-account' } });
  open.addEventListener('click', () => {
    const pw = field({ id: 'delete-password', label: 'Your password', type: 'password', autocomplete: 'current-password' });
    const alert = formAlert();
    const confirm = button('Delete my account', { type: 'submit', kind: 'danger', attrs: { id: 'delete-confirm' } });
    const form = h('form', { class: 'form', novalidate: true },
      h('p', null, 'Your videos, comments and likes disappear at once. Your personal data is destroyed with its encryption key when the grace period ends; log in before then to change your mind.'),
      pw.el, alert.el, h('div', { class: 'form-actions' }, confirm));
    const dlg = sheet({ title: 'Delete your account?', content: form });
    pw.input.focus();
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      busy(confirm, async () => {
        try {
          const out = await ctx.api.request('DELETE', '/me', { json: { password: pw.input.value } });
          dlg.close();
          ctx.session.set(null);
          ctx.toast.show(`Your account will be deleted on ${date(out.purge_at)}. Log in before then to keep it.`, { timeout: 10000 });
          ctx.router.navigate('/', { replace: true });
        } catch (err) {
          showApiError(err, { password: pw }, alert);
        }
      });
    });
  });
  return h('div', { class: 'data-block' },
    h('h3', { class: 'data-title' }, 'Delete account'),
    h('p', { class: 'setting-help' }, 'Deleting destroys the key your personal data is encrypted with, so it cannot be read again, by anyone.'),
    h('div', { class: 'btn-row' }, open));
}
