// Resumable uploads over tus 1.0 (POST /api/v1/uploads, then PATCH chunks). A dropped
// connection pauses the upload; it asks the server where it stopped (HEAD) and carries on,
// and a reload can pick the same file up again, since where it got to is kept in storage.

import { ApiError, errorFrom } from './api.js';

const TUS = '1.0.0';

export class TusUpload extends EventTarget {
  // file: the File; meta: {caption, visibility, language, allow_comments, allow_download};
  // owner: the account id, so one person's half-done upload is never offered to another.
  constructor({ api, file, meta, owner, storage, chunkSize = 8 << 20 }) {
    super();
    this.api = api;
    this.file = file;
    this.meta = meta;
    this.storage = storage;
    this.chunkSize = chunkSize;
    this.key = `kurz.upload.${owner}.${file.name}.${file.size}.${file.lastModified}`;
    this.uploadID = '';
    this.videoID = '';
    this.offset = 0;
    this.xhr = null;
    this.cancelled = false;
    this.retries = 0;
    this.wake = null;
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  // run uploads the whole file and resolves with the video's id.
  async run() {
    const saved = this.load();
    if (saved) {
      try {
        await this.head(saved.upload_id);
        this.uploadID = saved.upload_id;
        this.videoID = saved.video_id;
      } catch (e) {
        if (!(e instanceof ApiError) || e.offline) throw e;
        this.forget(); // gone or expired on the server: start over
      }
    }
    if (!this.uploadID) await this.create();
    const onOnline = () => { if (this.wake) this.wake(); };
    window.addEventListener('online', onOnline);
    let resync = false;
    try {
      while (this.offset < this.file.size) {
        if (this.cancelled) throw new ApiError(0, 'cancelled', 'Upload cancelled.');
        try {
          // After a failure the server may hold more or less than we think: ask first.
          if (resync) await this.head(this.uploadID);
          resync = false;
          await this.patch();
          this.retries = 0;
        } catch (e) {
          if (this.cancelled || !retryable(e)) throw e;
          resync = true;
          await this.pause(e);
        }
      }
    } finally {
      window.removeEventListener('online', onOnline);
    }
    this.forget();
    this.emit('progress', { loaded: this.file.size, total: this.file.size });
    return this.videoID;
  }

  // pause waits before trying again, longer after each failure (at most 30 s), or until
  // the browser says it is back online.
  async pause(err) {
    this.retries++;
    const wait = Math.min(30000, 1000 * 2 ** (this.retries - 1));
    this.emit('retry', { message: err.offline ? 'Connection lost. Retrying…' : `${err.message} Retrying…`, wait });
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, wait);
      this.wake = () => { clearTimeout(timer); resolve(); };
    });
    this.wake = null;
    this.emit('resume', {});
  }

  async create() {
    const md = Object.entries(this.meta)
      .filter(([, v]) => v !== undefined && v !== null && v !== '')
      .map(([k, v]) => `${k} ${b64(String(v))}`).join(',');
    const out = await this.api.request('POST', '/uploads', {
      headers: { 'Tus-Resumable': TUS, 'Upload-Length': String(this.file.size), 'Upload-Metadata': md },
    });
    this.uploadID = out.upload_id;
    this.videoID = out.video_id;
    this.offset = 0;
    this.save();
  }

  async head(id) {
    let res;
    try {
      res = await fetch(`/api/v1/uploads/${encodeURIComponent(id)}`, {
        method: 'HEAD', credentials: 'same-origin', cache: 'no-store', headers: { 'Tus-Resumable': TUS },
      });
    } catch {
      throw new ApiError(0, 'network', 'Connection lost.');
    }
    if (!res.ok) throw new ApiError(res.status, res.status === 404 ? 'not_found' : `http_${res.status}`, 'The upload is no longer on the server.');
    this.offset = Number(res.headers.get('Upload-Offset')) || 0;
    this.videoID = res.headers.get('Kurz-Video-Id') || this.videoID;
    this.emit('progress', { loaded: this.offset, total: this.file.size });
  }

  // patch sends one chunk with XMLHttpRequest, the one browser API that reports upload
  // progress.
  patch() {
    const start = this.offset, end = Math.min(this.file.size, start + this.chunkSize);
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      this.xhr = xhr;
      xhr.open('PATCH', `/api/v1/uploads/${encodeURIComponent(this.uploadID)}`);
      xhr.setRequestHeader('Tus-Resumable', TUS);
      xhr.setRequestHeader('Upload-Offset', String(start));
      xhr.setRequestHeader('Content-Type', 'application/offset+octet-stream');
      if (this.api.csrf) xhr.setRequestHeader('X-CSRF-Token', this.api.csrf);
      xhr.upload.onprogress = (e) => this.emit('progress', { loaded: start + e.loaded, total: this.file.size });
      xhr.onerror = () => reject(new ApiError(0, 'network', 'Connection lost.'));
      xhr.onabort = () => reject(new ApiError(0, 'cancelled', 'Upload cancelled.'));
      xhr.onload = () => {
        this.xhr = null;
        if (xhr.status === 204) {
          this.offset = Number(xhr.getResponseHeader('Upload-Offset')) || end;
          this.state = xhr.getResponseHeader('Kurz-Video-State') || '';
          resolve();
          return;
        }
        let data = null;
        try { data = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
        reject(errorFrom(xhr.status, data));
      };
      xhr.send(this.file.slice(start, end));
    });
  }

  // cancel stops sending and tells the server to drop what it has.
  async cancel() {
    this.cancelled = true;
    if (this.xhr) this.xhr.abort();
    if (this.wake) this.wake();
    this.forget();
    if (this.uploadID) {
      await this.api.request('DELETE', `/uploads/${encodeURIComponent(this.uploadID)}`, { headers: { 'Tus-Resumable': TUS } }).catch(() => {});
    }
  }

  load() {
    try {
      const v = JSON.parse(this.storage.getItem(this.key) || 'null');
      return v && typeof v.upload_id === 'string' ? v : null;
    } catch {
      return null;
    }
  }

  save() {
    try { this.storage.setItem(this.key, JSON.stringify({ upload_id: this.uploadID, video_id: this.videoID })); } catch { /* full */ }
  }

  forget() {
    try { this.storage.removeItem(this.key); } catch { /* disabled */ }
  }
}

// retryable errors are the network's or the server's passing trouble, and an offset
// mismatch (409), which a fresh HEAD resolves.
function retryable(e) {
  return e instanceof ApiError && (e.offline || e.status >= 500 || e.status === 409 || e.status === 423 || e.status === 429);
}

// b64 is base64 of the UTF-8 bytes, as tus metadata wants.
function b64(s) {
  let bin = '';
  for (const byte of new TextEncoder().encode(s)) bin += String.fromCharCode(byte);
  return btoa(bin);
}

// watchProcessing follows a video's processing on the server (server-sent events) and
// calls onVideo with each new state until it is ready or failed. It returns a stop function.
export function watchProcessing(id, onVideo) {
  const es = new EventSource(`/api/v1/videos/${encodeURIComponent(id)}/events`);
  es.addEventListener('video', (e) => {
    let v = null;
    try { v = JSON.parse(e.data); } catch { return; }
    onVideo(v);
    if (v && (v.state === 'ready' || v.state === 'failed')) es.close();
  });
  return () => es.close();
}
