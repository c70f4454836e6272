// Safe DOM building. Text always enters the page as text nodes, attributes are set one by
// one, and URL attributes only take values that pass safeURL. Nothing in the client parses
// HTML from a string; the CSP's Trusted Types rule makes Chromium refuse it anyway.

import { ICONS } from './icons.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const URL_ATTRS = new Set(['href', 'src', 'poster', 'action', 'formaction']);
const PROPS = new Set(['value', 'checked', 'disabled', 'hidden', 'muted', 'loop', 'playsInline',
  'autoplay', 'preload', 'tabIndex', 'type', 'name', 'id', 'min', 'max', 'step', 'required',
  'maxLength', 'minLength', 'autocomplete', 'placeholder', 'rows', 'accept', 'multiple', 'htmlFor']);
const FORBIDDEN = new Set(['innerHTML', 'outerHTML', 'srcdoc', 'style']);

// h builds an element: h('a', {href: '/x', class: 'link'}, 'text', child, [more]).
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  append(el, children);
  return el;
}

export function setProps(el, props) {
  if (!props) return el;
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (FORBIDDEN.has(k)) throw new Error(`dom: ${k} is not allowed; build elements and use classes`);
    if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : String(v);
    else if (k === 'text') el.textContent = String(v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'ref') v(el);
    else if (k.startsWith('on')) {
      if (typeof v !== 'function') throw new Error(`dom: ${k} must be a function`);
      el.addEventListener(k.slice(2).toLowerCase(), v);
    } else if (URL_ATTRS.has(k)) {
      const u = safeURL(v, k === 'href' ? 'link' : 'media');
      if (u === null) throw new Error(`dom: refused ${k} ${JSON.stringify(String(v))}`);
      el.setAttribute(k, u);
    } else if (PROPS.has(k)) el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// clear removes every child of el.
export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

// safeURL returns a URL fit for an attribute, or null: same-site paths, fragments of this
// page (links only), http(s), this origin's blob: URLs, and data:image (media only).
// Anything else, including javascript: in any spelling, is refused.
export function safeURL(value, kind = 'link') {
  if (typeof value !== 'string' || value === '') return null;
  const s = value.trim();
  if (kind === 'link' && /^#[A-Za-z][\w-]*$/.test(s)) return s;
  if (s.startsWith('/') && !s.startsWith('//') && !s.startsWith('/\\')) return s;
  let u;
  try { u = new URL(s); } catch { return null; }
  if (u.protocol === 'https:' || u.protocol === 'http:') return u.href;
  // Only this page's scripts can make blob: URLs of this origin: previews and downloads.
  if (u.protocol === 'blob:' && s.startsWith('blob:' + location.origin + '/')) return s;
  if (kind === 'media' && /^data:image\/(png|jpeg|gif|webp);base64,[a-z0-9+/=]+$/i.test(s)) return s;
  return null;
}

// icon draws one of the client's own SVG icons. They are decorative: the button that holds
// one carries the accessible name.
export function icon(name, extraClass) {
  const def = ICONS[name];
  if (!def) throw new Error(`dom: no icon ${name}`);
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', ['icon', def.fill ? 'icon--fill' : '', extraClass || ''].filter(Boolean).join(' '));
  for (const d of def.paths) {
    const p = document.createElementNS(SVG_NS, 'path');
    p.setAttribute('d', d);
    svg.append(p);
  }
  for (const c of def.circles || []) {
    const el = document.createElementNS(SVG_NS, 'circle');
    el.setAttribute('cx', c[0]); el.setAttribute('cy', c[1]); el.setAttribute('r', c[2]);
    svg.append(el);
  }
  return svg;
}

// reducedMotion reports the user's wish for less animation.
export function reducedMotion() {
  return window.matchMedia('(prefers-reduced-motion: reduce)').matches;
}

// isTyping says whether a key press belongs to a form field rather than to a shortcut.
export function isTyping(target) {
  if (!(target instanceof Element)) return false;
  return target.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]') !== null;
}

// svg builds an SVG element the way h builds an HTML one: svg('path', {d: 'M0 0H8', class:
// 'line'}, svg('title', null, 'label')). Charts draw with it; attributes that could load
// or run something (event handlers, href, style) are refused, and text enters as text.
export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') || /href$/i.test(k) || FORBIDDEN.has(k)) throw new Error(`dom: svg ${k} is not allowed`);
    el.setAttribute(k, v === true ? '' : String(v));
  }
  return append(el, children);
}
