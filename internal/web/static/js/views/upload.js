// Upload: pick or drop a clip, see it, write a caption, choose who can watch, then follow
// the upload (resumable) and the server's processing live until the video is ready.

import { h, icon, clear } from '../dom.js';
import { field, formAlert, button, spinner, avatar } from '../ui.js';
import { bytes, count } from '../format.js';
import { nameOf, validTag, validUsername } from '../text.js';
import { TusUpload, watchProcessing } from '../upload.js';
import { safeStorage } from '../events.js';
import { browserLanguage, languageOptions } from '../languages.js';

const VISIBILITY = [
  ['public', 'Everyone', 'Anyone can watch, and it can appear in For You.'],
  ['followers', 'Followers', 'Only people who follow you.'],
  ['private', 'Only me', 'Nobody else can see it.'],
];

export function uploadView(ctx) {
  if (!ctx.session.loggedIn) {
    queueMicrotask(() => ctx.router.navigate('/login?next=%2Fupload', { replace: true }));
    return { el: h('div', { class: 'page' }, spinner()), title: 'Upload' };
  }
  const body = h('div', { class: 'upload-body' });
  const page = h('div', { class: 'page page--upload' },
    h('header', { class: 'page-head' }, h('h1', { class: 'page-title', id: 'page-title', tabindex: '-1' }, 'Upload a video')),
    body);
  let maxBytes = 0, preview = '', stopWatching = null, stopSuggest = null, live = true;
  fetch('/api/v1/uploads', { method: 'OPTIONS', credentials: 'same-origin' })
    .then((r) => { maxBytes = Number(r.headers.get('Tus-Max-Size')) || 0; if (live) pick(); })
    .catch(() => { if (live) pick(); });
  body.append(spinner());

  const show = (...children) => {
    if (stopSuggest) { stopSuggest(); stopSuggest = null; }
    clear(body).append(...children);
  };

  function pick(problem) {
    const input = h('input', { type: 'file', id: 'upload-file', accept: 'video/mp4,video/quicktime,video/webm,video/*', class: 'visually-hidden' });
    const alert = formAlert();
    const zone = h('div', { class: 'dropzone' },
      h('div', { class: 'dropzone-icon', 'aria-hidden': 'true' }, icon('upload')),
      h('h2', { class: 'dropzone-title' }, 'Select a video to upload'),
      h('p', { class: 'dropzone-text' }, 'Or drag and drop it here'),
      h('p', { class: 'dropzone-limits' }, `MP4, MOV or WebM${maxBytes ? `, up to ${bytes(maxBytes)}` : ''}. Vertical 9:16 looks best.`),
      input,
      h('label', { class: 'btn btn--primary', htmlFor: 'upload-file' }, 'Select file'),
      alert.el);
    if (problem) alert.show(problem);
    const take = (file) => {
      if (!file) return;
      if (file.size === 0) { alert.show('That file is empty.'); return; }
      if (file.type && !file.type.startsWith('video/')) { alert.show('That is not a video file. Choose an MP4, MOV or WebM clip.'); return; }
      if (maxBytes && file.size > maxBytes) { alert.show(`That file is ${bytes(file.size)}; this server takes videos up to ${bytes(maxBytes)}.`); return; }
      details(file);
    };
    input.addEventListener('change', () => take(input.files && input.files[0]));
    zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('is-over'); });
    zone.addEventListener('dragleave', () => zone.classList.remove('is-over'));
    zone.addEventListener('drop', (e) => {
      e.preventDefault();
      zone.classList.remove('is-over');
      take(e.dataTransfer && e.dataTransfer.files[0]);
    });
    show(zone);
  }

  function details(file) {
    if (preview) URL.revokeObjectURL(preview);
    preview = URL.createObjectURL(file);
    const vid = h('video', { class: 'upload-preview-video', src: preview, muted: true, loop: true, playsInline: true, autoplay: true, 'aria-label': 'Preview' });
    const caption = field({ id: 'caption', label: 'Caption', multiline: true,
      hint: 'Describe your video. #hashtags help people find it; @mentions tell someone about it. Type # or @ for suggestions.' });
    const radios = h('fieldset', { class: 'choice' }, h('legend', { class: 'field-label' }, 'Who can watch'),
      VISIBILITY.map(([value, label, help], i) => h('label', { class: 'choice-row' },
        h('input', { type: 'radio', name: 'visibility', value, checked: i === 0 }),
        h('span', { class: 'choice-text' }, h('strong', null, label), h('span', { class: 'setting-help' }, help)))));
    const language = languageField(ctx.session.me.language);
    const comments = h('input', { type: 'checkbox', id: 'allow-comments', checked: true });
    const downloads = h('input', { type: 'checkbox', id: 'allow-downloads' });
    const alert = formAlert();
    const post = button('Post', { type: 'submit', attrs: { id: 'upload-post' } });
    const discard = button('Discard', { kind: 'ghost', onClick: () => { URL.revokeObjectURL(preview); preview = ''; pick(); } });
    const form = h('form', { class: 'form upload-form', novalidate: true },
      h('p', { class: 'upload-file' }, icon('video'), h('span', null, file.name), h('span', { class: 'muted' }, bytes(file.size))),
      caption.el, radios, language.el,
      h('label', { class: 'check-row' }, comments, h('span', null, 'Allow comments')),
      h('label', { class: 'check-row' }, downloads, h('span', null, 'Allow downloads')),
      alert.el, h('div', { class: 'form-actions' }, discard, post));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const visibility = form.querySelector('input[name=visibility]:checked').value;
      send(file, {
        caption: caption.input.value.trim(), visibility, language: language.select.value,
        allow_comments: String(comments.checked), allow_download: String(downloads.checked),
      });
    });
    show(h('div', { class: 'upload-grid' }, h('div', { class: 'upload-preview' }, vid), h('div', { class: 'card upload-card' }, form)));
    stopSuggest = captionSuggestions(ctx, caption.input);
  }

  function send(file, meta) {
    const bar = h('progress', { id: 'upload-progress', class: 'upload-bar', max: 100, value: 0, 'aria-label': 'Upload progress' });
    const pct = h('span', { class: 'upload-pct' }, '0%');
    const amount = h('span', { class: 'muted' }, `0 of ${bytes(file.size)}`);
    const status = h('p', { class: 'upload-status', id: 'upload-status', role: 'status' }, 'Uploading…');
    const up = new TusUpload({ api: ctx.api, file, meta, owner: ctx.session.me.id, storage: safeStorage() });
    const cancel = button('Cancel', { kind: 'ghost', onClick: async () => {
      await up.cancel();
      ctx.toast.show('Upload cancelled.');
      pick();
    } });
    up.addEventListener('progress', (e) => {
      const p = e.detail.total ? Math.floor((e.detail.loaded / e.detail.total) * 100) : 0;
      bar.value = p;
      pct.textContent = `${p}%`;
      amount.textContent = `${bytes(e.detail.loaded)} of ${bytes(e.detail.total)}`;
    });
    up.addEventListener('retry', (e) => { status.textContent = e.detail.message; status.classList.add('is-warning'); });
    up.addEventListener('resume', () => { status.textContent = 'Uploading…'; status.classList.remove('is-warning'); });
    show(h('div', { class: 'card upload-card upload-progress-card' },
      h('p', { class: 'upload-file' }, icon('video'), h('span', null, file.name)),
      bar, h('div', { class: 'upload-numbers' }, pct, amount), status, h('div', { class: 'form-actions' }, cancel)));
    up.run().then((videoID) => {
      if (preview) { URL.revokeObjectURL(preview); preview = ''; }
      if (!live) { ctx.toast.show('Your video is uploaded and being processed.'); return; }
      processing(videoID);
    }).catch((err) => {
      if (up.cancelled) return;
      if (!live) { ctx.toast.show(`Upload failed: ${err.message}`, { kind: 'error' }); return; }
      pick(`Upload failed: ${err.message}`);
    });
  }

  function processing(id) {
    const steps = {
      upload: h('li', { class: 'step is-done' }, icon('check'), 'Uploaded'),
      process: h('li', { class: 'step is-active' }, spinner('Processing'), h('span', { id: 'processing-state' }, 'Waiting to be processed')),
      ready: h('li', { class: 'step' }, icon('video'), 'Ready to watch'),
    };
    const actions = h('div', { class: 'form-actions' });
    show(h('div', { class: 'card upload-card' },
      h('h2', { class: 'section-title' }, 'Processing your video'),
      h('p', { class: 'section-desc' }, 'You can leave this page; processing carries on without you.'),
      h('ol', { class: 'steps', 'aria-live': 'polite' }, steps.upload, steps.process, steps.ready), actions));
    stopWatching = watchProcessing(id, (v) => {
      const label = steps.process.querySelector('#processing-state');
      if (v.state === 'queued') label.textContent = 'Waiting to be processed';
      if (v.state === 'processing') label.textContent = 'Processing…';
      if (v.state === 'failed') {
        steps.process.className = 'step is-failed';
        clear(steps.process).append(icon('close'), h('span', { id: 'processing-state' },
          `Processing failed: ${(v.failure && v.failure.message) || 'the file could not be read as a video.'}`));
        actions.replaceChildren(button('Upload another', { onClick: () => pick() }));
      }
      if (v.state === 'ready') {
        steps.process.className = 'step is-done';
        clear(steps.process).append(icon('check'), h('span', { id: 'processing-state' }, 'Processed'));
        steps.ready.className = 'step is-done';
        actions.replaceChildren(
          button('Upload another', { kind: 'ghost', onClick: () => pick() }),
          h('a', { class: 'btn btn--primary', href: `/v/${id}`, id: 'upload-watch' }, 'Watch'));
      }
    });
  }

  return {
    el: page,
    title: 'Upload',
    destroy: () => {
      live = false;
      if (stopWatching) stopWatching();
      if (stopSuggest) stopSuggest();
      if (preview && !body.querySelector('#upload-progress')) URL.revokeObjectURL(preview);
    },
  };
}

// The #hashtag or @mention being typed: the sigil at the start of the text or after a
// character that cannot be part of a name (as text.js links them), then a name up to the
// caret.
const TYPING = /(^|[^\p{L}\p{N}_@#])([#@])([\p{L}\p{N}_.]{1,100})$/u;

// languageField is the "Language" choice of an upload, set to the video language chosen in
// Settings, else the browser's: the Trending tab shows people videos in their language
// first.
function languageField(chosen) {
  const own = chosen || browserLanguage();
  const select = h('select', { id: 'language', name: 'language', class: 'input', 'aria-describedby': 'language-hint' },
    h('option', { value: '' }, 'Not set'),
    languageOptions(own).map(([c, n]) => h('option', { value: c, selected: c === own }, n)));
  const el = h('div', { class: 'field' },
    h('div', { class: 'field-top' }, h('label', { htmlFor: 'language', class: 'field-label' }, 'Language')),
    select,
    h('p', { class: 'field-hint', id: 'language-hint' }, 'The language spoken or written in your video. Trending shows people videos in their language first.'));
  return { el, select };
}

// captionSuggestions turns the caption into an editable text box with a list of
// suggestions (the WAI-ARIA combobox pattern: a listbox popup, its options pointed at by
// aria-activedescendant while the focus stays in the text): typing #ab lists
// hashtags that start so, @al lists accounts. Up and Down move through the list, Enter or
// Tab takes the highlighted one, Escape closes it; a click or tap takes one too. It
// returns a function that stops it.
export function captionSuggestions(ctx, input) {
  const listId = `${input.id}-suggestions`;
  const list = h('ul', { class: 'suggest', id: listId, role: 'listbox', 'aria-label': 'Suggestions', hidden: true });
  const status = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  input.after(list, status);
  // A textarea keeps its own role (HTML allows it no other), so it takes the combobox
  // pattern's attributes that a text box supports; the status line says when the list opens.
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-controls', listId);

  let items = [], active = -1, token = null, dismissed = -1, timer = 0, abort = null, seq = 0;

  // current finds the token being typed at the caret, or null.
  const current = () => {
    if (input.selectionStart !== input.selectionEnd) return null;
    const before = input.value.slice(0, input.selectionStart);
    const m = TYPING.exec(before);
    if (!m) return null;
    const name = m[3].replace(/\.+$/, '');
    if (!name || (m[2] === '#' && name.includes('.'))) return null;
    return { sigil: m[2], name, start: before.length - m[2].length - m[3].length, end: input.selectionStart };
  };

  const close = () => {
    items = [];
    active = -1;
    list.hidden = true;
    clear(list);
    input.removeAttribute('aria-activedescendant');
  };

  const highlight = (i) => {
    active = i;
    [...list.children].forEach((li, j) => li.setAttribute('aria-selected', String(j === i)));
    if (i >= 0) {
      input.setAttribute('aria-activedescendant', `${listId}-${i}`);
      list.children[i].scrollIntoView({ block: 'nearest' });
    } else {
      input.removeAttribute('aria-activedescendant');
    }
  };

  const render = (found) => {
    items = found;
    clear(list);
    if (!items.length) { close(); status.textContent = 'No suggestions.'; return; }
    items.forEach((it, i) => {
      const li = h('li', { class: 'suggest-option', id: `${listId}-${i}`, role: 'option', 'aria-selected': 'false', dataset: { value: `${it.kind}${it.name}` } },
        it.kind === '@'
          ? [avatar(it.account, 'sm'), h('span', { class: 'suggest-text' }, h('strong', null, nameOf(it.account)), h('span', { class: 'muted' }, `@${it.name}`))]
          : [h('span', { class: 'suggest-mark', 'aria-hidden': 'true' }, '#'), h('span', { class: 'suggest-text' }, h('strong', null, `#${it.name}`),
            h('span', { class: 'muted' }, `${count(it.videos)} ${it.videos === 1 ? 'video' : 'videos'}`))]);
      // A press on an option must not take the focus from the caption.
      li.addEventListener('pointerdown', (e) => e.preventDefault());
      li.addEventListener('click', () => accept(i));
      list.append(li);
    });
    list.hidden = false;
    highlight(0);
    status.textContent = `${items.length} ${items.length === 1 ? 'suggestion' : 'suggestions'}. Up and down to choose, Enter to insert.`;
  };

  const lookup = () => {
    clearTimeout(timer);
    token = current();
    if (!token || token.start === dismissed) {
      if (abort) abort.abort();
      close();
      return;
    }
    if (dismissed >= 0 && token.start !== dismissed) dismissed = -1;
    const t = token, mine = ++seq;
    timer = setTimeout(async () => {
      if (abort) abort.abort();
      abort = new AbortController();
      const type = t.sigil === '#' ? 'hashtags' : 'accounts';
      try {
        const r = await ctx.api.get(`/search?type=${type}&limit=6&q=${encodeURIComponent(t.name)}`, { signal: abort.signal });
        if (mine !== seq) return;
        const found = t.sigil === '#'
          ? (Array.isArray(r && r.hashtags) ? r.hashtags : []).filter((x) => x && validTag(x.name))
            .map((x) => ({ kind: '#', name: x.name, videos: Number(x.video_count) || 0 }))
          : (Array.isArray(r && r.accounts) ? r.accounts : []).filter((x) => x && validUsername(x.username))
            .map((x) => ({ kind: '@', name: x.username, account: x }));
        render(found);
      } catch (e) {
        if (e && e.name === 'AbortError') return;
        close(); // suggestions are a help; without them the caption still works
      }
    }, 120);
  };

  const accept = (i) => {
    const it = items[i], t = token;
    if (!it || !t) return;
    const insert = `${it.kind}${it.name} `;
    const after = input.value.slice(t.end).replace(/^[\p{L}\p{N}_.]*/u, '').replace(/^ /, '');
    input.value = input.value.slice(0, t.start) + insert + after;
    const caret = t.start + insert.length;
    input.setSelectionRange(caret, caret);
    close();
    status.textContent = `Inserted ${it.kind}${it.name}.`;
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.focus();
  };

  const onKey = (e) => {
    if (list.hidden || !items.length) return;
    switch (e.key) {
      case 'ArrowDown': highlight((active + 1) % items.length); break;
      case 'ArrowUp': highlight((active - 1 + items.length) % items.length); break;
      case 'Enter': case 'Tab':
        if (e.shiftKey || active < 0) return;
        accept(active);
        break;
      case 'Escape':
        dismissed = token ? token.start : -1;
        close();
        break;
      default: return;
    }
    e.preventDefault();
    e.stopPropagation();
  };

  const onBlur = () => { clearTimeout(timer); close(); };
  const onCaret = (e) => { if (!['ArrowDown', 'ArrowUp', 'Enter', 'Tab', 'Escape'].includes(e.key)) lookup(); };
  input.addEventListener('input', lookup);
  input.addEventListener('keydown', onKey);
  input.addEventListener('keyup', onCaret);
  input.addEventListener('click', lookup);
  input.addEventListener('blur', onBlur);
  return () => {
    clearTimeout(timer);
    if (abort) abort.abort();
    input.removeEventListener('input', lookup);
    input.removeEventListener('keydown', onKey);
    input.removeEventListener('keyup', onCaret);
    input.removeEventListener('click', lookup);
    input.removeEventListener('blur', onBlur);
  };
}
