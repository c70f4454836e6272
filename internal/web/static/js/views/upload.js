// Upload: pick or drop a clip, see it, write a caption, choose who can watch, then follow
// the upload (resumable) and the server's processing live until the video is ready.

import { h, icon, clear } from '../dom.js';
import { field, formAlert, button, spinner } from '../ui.js';
import { bytes } from '../format.js';
import { TusUpload, watchProcessing } from '../upload.js';
import { safeStorage } from '../events.js';

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
  let maxBytes = 0, preview = '', stopWatching = null, live = true;
  fetch('/api/v1/uploads', { method: 'OPTIONS', credentials: 'same-origin' })
    .then((r) => { maxBytes = Number(r.headers.get('Tus-Max-Size')) || 0; if (live) pick(); })
    .catch(() => { if (live) pick(); });
  body.append(spinner());

  const show = (...children) => {
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
      hint: 'Describe your video. #hashtags help people find it; @mentions tell someone about it.' });
    const radios = h('fieldset', { class: 'choice' }, h('legend', { class: 'field-label' }, 'Who can watch'),
      VISIBILITY.map(([value, label, help], i) => h('label', { class: 'choice-row' },
        h('input', { type: 'radio', name: 'visibility', value, checked: i === 0 }),
        h('span', { class: 'choice-text' }, h('strong', null, label), h('span', { class: 'setting-help' }, help)))));
    const comments = h('input', { type: 'checkbox', id: 'allow-comments', checked: true });
    const downloads = h('input', { type: 'checkbox', id: 'allow-downloads' });
    const alert = formAlert();
    const post = button('Post', { type: 'submit', attrs: { id: 'upload-post' } });
    const discard = button('Discard', { kind: 'ghost', onClick: () => { URL.revokeObjectURL(preview); preview = ''; pick(); } });
    const form = h('form', { class: 'form upload-form', novalidate: true },
      h('p', { class: 'upload-file' }, icon('video'), h('span', null, file.name), h('span', { class: 'muted' }, bytes(file.size))),
      caption.el, radios,
      h('label', { class: 'check-row' }, comments, h('span', null, 'Allow comments')),
      h('label', { class: 'check-row' }, downloads, h('span', null, 'Allow downloads')),
      alert.el, h('div', { class: 'form-actions' }, discard, post));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const visibility = form.querySelector('input[name=visibility]:checked').value;
      send(file, {
        caption: caption.input.value.trim(), visibility,
        allow_comments: String(comments.checked), allow_download: String(downloads.checked),
      });
    });
    show(h('div', { class: 'upload-grid' }, h('div', { class: 'upload-preview' }, vid), h('div', { class: 'card upload-card' }, form)));
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
      if (preview && !body.querySelector('#upload-progress')) URL.revokeObjectURL(preview);
    },
  };
}
