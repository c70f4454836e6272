// Settings: profile (name, bio, photo), privacy and the personalisation switch, password,
// the sessions signed in to this account, and the visitor's data.

import { h, icon, clear } from '../dom.js';
import { ApiError } from '../api.js';
import { field, formAlert, showApiError, busy, button, avatar, switchControl, badge, spinner } from '../ui.js';
import { ago, dateTime, bytes } from '../format.js';

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
    dataSection(),
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
  return section('privacy', 'Privacy and feed', null, priv.el, pers.el);
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

function dataSection() {
  const soon = (title, text, iconName) => h('div', { class: 'setting-row setting-row--soon' },
    h('span', { class: 'session-icon', 'aria-hidden': 'true' }, icon(iconName)),
    h('div', { class: 'setting-text' },
      h('span', { class: 'setting-label' }, title, badge('Coming soon')),
      h('p', { class: 'setting-help' }, text)));
  return section('data', 'Your data', 'kurz keeps your personal data encrypted under a key of its own.',
    soon('Access log', 'Every time anyone but you reads your personal data, it is recorded in a tamper-evident log. Reading it here is not available on this server yet.', 'shield'),
    soon('Download my data', 'An archive of your profile, videos, comments and activity. Not available on this server yet.', 'download'),
    soon('Delete account', 'Deleting destroys the key your personal data is encrypted with. Not available on this server yet.', 'trash'));
}
