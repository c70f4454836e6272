// Small pieces every page uses: avatars, switches, form fields with their errors, empty
// states, toasts and bottom sheets. All of them build DOM through dom.h.

import { h, icon, safeURL, clear } from './dom.js';
import { initial, nameOf } from './text.js';
import { ApiError } from './api.js';

// avatar shows an account's picture, or its initial on a colour picked from its username
// so that everyone's fallback looks a little different.
export function avatar(account, size = 'md') {
  const url = account && account.avatar && (size === 'xl' || size === 'lg' ? account.avatar['400'] : account.avatar['96']);
  const cls = `avatar avatar--${size}`;
  if (url && safeURL(url, 'media')) {
    return h('img', { class: cls, src: url, alt: '', loading: 'lazy', decoding: 'async', width: 96, height: 96 });
  }
  const hue = [...((account && account.username) || '')].reduce((a, c) => (a * 31 + c.codePointAt(0)) >>> 0, 7) % 8;
  return h('span', { class: `${cls} avatar--initial avatar--c${hue}`, 'aria-hidden': 'true' }, initial(account));
}

// switchControl is an on/off control (role="switch") labelled by its title and described
// by its help text. onChange(next) may return a promise; while it runs the switch is busy,
// and if it fails the switch flips back.
export function switchControl({ id, label, help, checked, onChange }) {
  const labelId = `${id}-label`, helpId = `${id}-help`;
  const btn = h('button', {
    type: 'button', id, class: 'switch', role: 'switch', 'aria-checked': String(!!checked),
    'aria-labelledby': labelId, 'aria-describedby': help ? helpId : undefined,
  }, h('span', { class: 'switch-thumb', 'aria-hidden': 'true' }));
  btn.addEventListener('click', async () => {
    if (btn.getAttribute('aria-busy') === 'true') return;
    const next = btn.getAttribute('aria-checked') !== 'true';
    btn.setAttribute('aria-checked', String(next));
    btn.setAttribute('aria-busy', 'true');
    try {
      await onChange(next);
    } catch {
      btn.setAttribute('aria-checked', String(!next));
    } finally {
      btn.removeAttribute('aria-busy');
    }
  });
  const row = h('div', { class: 'setting-row' },
    h('div', { class: 'setting-text' },
      h('span', { class: 'setting-label', id: labelId }, label),
      help ? h('p', { class: 'setting-help', id: helpId }, help) : null),
    btn);
  return { el: row, button: btn, set(v) { btn.setAttribute('aria-checked', String(!!v)); } };
}

// field is a labelled input with a hint, a live character count and an error line.
export function field({ id, label, type = 'text', value = '', hint, max, multiline, autocomplete, required, minLength, attrs }) {
  const hintId = `${id}-hint`, errId = `${id}-error`;
  const props = {
    id, name: id, class: 'input', autocomplete, required, minLength,
    'aria-describedby': `${hint ? hintId : ''} ${errId}`.trim(), ...attrs,
  };
  const input = multiline ? h('textarea', { ...props, rows: 4 }) : h('input', { ...props, type });
  input.value = value;
  const counter = max ? h('span', { class: 'field-count', 'aria-hidden': 'true' }) : null;
  const updateCount = () => {
    if (!counter) return;
    const n = [...input.value].length;
    counter.textContent = `${n}/${max}`;
    counter.classList.toggle('field-count--over', n > max);
  };
  input.addEventListener('input', () => { updateCount(); setError(''); });
  updateCount();
  const error = h('p', { class: 'field-error', id: errId, hidden: true });
  const setError = (msg) => {
    error.textContent = msg || '';
    error.hidden = !msg;
    if (msg) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  };
  const el = h('div', { class: 'field' },
    h('div', { class: 'field-top' }, h('label', { htmlFor: id, class: 'field-label' }, label), counter),
    input,
    hint ? h('p', { class: 'field-hint', id: hintId }, hint) : null,
    error);
  return { el, input, setError };
}

// formAlert is the message line above a form's buttons, read out when it changes.
export function formAlert() {
  const el = h('p', { class: 'form-alert', role: 'alert', hidden: true });
  return {
    el,
    show(msg, kind = 'error') {
      el.textContent = msg;
      el.className = `form-alert form-alert--${kind}`;
      el.hidden = !msg;
    },
    clear() { el.textContent = ''; el.hidden = true; },
  };
}

// showApiError puts an API error next to the field it names, or in the form's alert.
export function showApiError(err, fields, alert) {
  const f = err && err.field && fields[err.field];
  if (f) {
    f.setError(err.message);
    f.input.focus();
  } else {
    alert.show(err && err.message ? err.message : 'Something went wrong. Try again.');
  }
}

// busy disables a button and shows a spinner while fn runs.
export async function busy(button, fn) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

export function button(label, { kind = 'primary', type = 'button', iconName, onClick, attrs } = {}) {
  return h('button', { type, class: `btn btn--${kind}`, onclick: onClick, ...attrs },
    iconName ? icon(iconName) : null, h('span', { class: 'btn-label' }, label));
}

export function iconButton(name, label, { onClick, cls, attrs } = {}) {
  return h('button', { type: 'button', class: ['icon-btn', cls], 'aria-label': label, title: label, onclick: onClick, ...attrs }, icon(name));
}

// emptyState is what a page shows when there is nothing to show, said plainly.
export function emptyState({ iconName = 'video', title, text, action }) {
  return h('div', { class: 'empty' },
    h('div', { class: 'empty-icon', 'aria-hidden': 'true' }, icon(iconName)),
    h('h2', { class: 'empty-title' }, title),
    text ? h('p', { class: 'empty-text' }, text) : null,
    action || null);
}

export function spinner(label = 'Loading') {
  return h('div', { class: 'spinner', role: 'status' }, h('span', { class: 'visually-hidden' }, label));
}

export function badge(text, kind = '') {
  return h('span', { class: ['badge', kind && `badge--${kind}`] }, text);
}

// Toasts are short messages in a polite live region.
export class Toasts {
  constructor() {
    this.el = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
  }

  show(message, { kind = 'info', action, timeout = 4500 } = {}) {
    const t = h('div', { class: `toast toast--${kind}` }, h('span', { class: 'toast-text' }, message));
    if (action) {
      t.append(h('button', { type: 'button', class: 'toast-action', onclick: () => { action.run(); t.remove(); } }, action.label));
    }
    this.el.append(t);
    setTimeout(() => t.remove(), timeout);
    return t;
  }
}

// sheet opens a modal dialog (a bottom sheet on phones) with a title and content. Escape
// and the backdrop close it, and focus returns to where it was.
export function sheet({ title, content, onClose }) {
  const dialog = h('dialog', { class: 'sheet', 'aria-labelledby': 'sheet-title' });
  const close = () => dialog.close();
  dialog.append(
    h('div', { class: 'sheet-head' },
      h('h2', { class: 'sheet-title', id: 'sheet-title' }, title),
      iconButton('close', 'Close', { onClick: close })),
    h('div', { class: 'sheet-body' }, content));
  dialog.addEventListener('click', (e) => { if (e.target === dialog) close(); });
  dialog.addEventListener('close', () => { dialog.remove(); if (onClose) onClose(); });
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, close };
}

export function setChildren(el, ...children) {
  clear(el);
  for (const c of children.flat()) if (c) el.append(c);
}

// soonOr is the message for a failed action: "coming soon" when the server has no such
// endpoint yet, else the server's own message.
export function soonOr(e, soon) {
  if (e instanceof ApiError && e.missingEndpoint) return soon;
  return e && e.message ? e.message : 'Something went wrong. Try again.';
}

export { nameOf };
