// Log-in and sign-up pages. Both send people back to where they came from (?next=), and
// both show the server's own words when something is wrong.

import { h } from '../dom.js';
import { safeNext } from '../router.js';
import { field, formAlert, showApiError, busy, button } from '../ui.js';

function authCard(title, subtitle, form, footer) {
  return h('div', { class: 'page page--center' },
    h('section', { class: 'card auth-card', 'aria-labelledby': 'page-title' },
      h('div', { class: 'auth-brand', 'aria-hidden': 'true' }, h('span', { class: 'brand-mark' }, 'k'), h('span', { class: 'brand-word' }, 'kurz')),
      h('h1', { id: 'page-title', class: 'auth-title', tabindex: '-1' }, title),
      subtitle ? h('p', { class: 'auth-sub' }, subtitle) : null,
      form,
      h('p', { class: 'auth-footer' }, footer)));
}

export function loginView(ctx, route) {
  const next = safeNext(route.query.get('next'));
  if (ctx.session.loggedIn) {
    queueMicrotask(() => ctx.router.navigate(next, { replace: true }));
  }
  const fields = {
    username: field({ id: 'username', label: 'Username', autocomplete: 'username', required: true,
      attrs: { autocapitalize: 'none', spellcheck: 'false' } }),
    password: field({ id: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', required: true }),
  };
  const alert = formAlert();
  const submit = button('Log in', { type: 'submit', attrs: { class: 'btn btn--primary btn--block' } });
  const form = h('form', { class: 'form', novalidate: true },
    fields.username.el, fields.password.el, alert.el, submit);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    alert.clear();
    const username = fields.username.input.value.trim(), password = fields.password.input.value;
    if (!username) { fields.username.setError('Enter your username.'); fields.username.input.focus(); return; }
    if (!password) { fields.password.setError('Enter your password.'); fields.password.input.focus(); return; }
    busy(submit, async () => {
      try {
        await ctx.session.logIn(username, password);
        ctx.toast.show('Welcome back.');
        ctx.router.navigate(next, { replace: true });
      } catch (err) {
        showApiError(err, fields, alert);
      }
    });
  });
  const signup = h('a', { href: `/signup${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}` }, 'Sign up');
  return { el: authCard('Log in to kurz', 'Watch, create and keep your data yours.', form, ["Don't have an account? ", signup]), title: 'Log in' };
}

export function signupView(ctx, route) {
  const next = safeNext(route.query.get('next'));
  const inst = ctx.session.instance || {};
  const limits = inst.limits || {};
  const minPw = limits.min_password_length || 12;
  if (ctx.session.loggedIn) {
    queueMicrotask(() => ctx.router.navigate(next, { replace: true }));
  }
  const login = h('a', { href: '/login' }, 'Log in');
  if (inst.registration === 'closed') {
    return {
      el: authCard('Sign-ups are closed', 'This server is not taking new accounts right now. Ask its administrator, or join another kurz server.',
        h('div'), ['Already have an account? ', login]),
      title: 'Sign up',
    };
  }
  const fields = {
    username: field({ id: 'username', label: 'Username', autocomplete: 'username', required: true,
      hint: '3 to 24 characters: a-z, 0-9, _ and . — it becomes your profile address.', attrs: { autocapitalize: 'none', spellcheck: 'false', maxLength: 24 } }),
    display_name: field({ id: 'display_name', label: 'Display name (optional)', autocomplete: 'name', max: limits.max_display_name || 50 }),
    password: field({ id: 'password', label: 'Password', type: 'password', autocomplete: 'new-password', required: true,
      hint: `At least ${minPw} characters. A few unrelated words make a strong one.`, minLength: minPw }),
  };
  if (inst.registration === 'invite') {
    fields.invite_code = field({ id: 'invite_code', label: 'Invite code', required: true, hint: 'This server is invite-only.' });
  }
  const alert = formAlert();
  const submit = button('Create account', { type: 'submit', attrs: { class: 'btn btn--primary btn--block' } });
  const form = h('form', { class: 'form', novalidate: true },
    Object.values(fields).map((f) => f.el), alert.el, submit,
    h('p', { class: 'form-note' }, 'Your personal data is encrypted with a key of its own, and every access to it is logged where you can read it.'));
  fields.username.input.addEventListener('input', () => {
    const v = fields.username.input.value;
    if (v !== v.toLowerCase()) fields.username.input.value = v.toLowerCase();
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    alert.clear();
    const body = {
      username: fields.username.input.value.trim(),
      password: fields.password.input.value,
    };
    if (fields.display_name.input.value.trim()) body.display_name = fields.display_name.input.value.trim();
    if (fields.invite_code) body.invite_code = fields.invite_code.input.value.trim();
    if (!body.username) { fields.username.setError('Choose a username.'); fields.username.input.focus(); return; }
    if ([...body.password].length < minPw) {
      fields.password.setError(`A password needs at least ${minPw} characters.`);
      fields.password.input.focus();
      return;
    }
    busy(submit, async () => {
      try {
        await ctx.session.signUp(body);
        ctx.toast.show(`Welcome to kurz, @${body.username}.`);
        ctx.router.navigate(next === '/' ? '/settings' : next, { replace: true });
      } catch (err) {
        showApiError(err, fields, alert);
      }
    });
  });
  return { el: authCard('Create your account', 'Short videos, a feed you can switch off, and privacy you can check.', form, ['Already have an account? ', login]), title: 'Sign up' };
}
