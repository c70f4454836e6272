// The vertical feed: one full-height video per slide, snapped by CSS scroll snapping so a
// touch swipe, a mouse wheel and the arrow keys all move exactly one video. The slide that
// is mostly on screen plays; the next two are preloaded so a swipe starts at once; the
// rest hold no media, which keeps a long session light on memory.

import { h, icon, safeURL, reducedMotion, isTyping, clear } from '../dom.js';
import { richText, profilePath, validVideoID } from '../text.js';
import { count, duration } from '../format.js';
import { avatar, iconButton, sheet, spinner, soonOr } from '../ui.js';
import { chooseRendition } from './rendition.js';
import { openComments } from '../comments.js';

const PRELOAD_AHEAD = 2;
const KEEP_BEHIND = 1;
const DOUBLE_TAP_MS = 300;

// Playback holds what outlives one feed: whether sound is on. Browsers let a page play
// sound only after the visitor has interacted with it, so videos start muted and the
// first interaction anywhere turns sound on for the rest of the visit.
export class Playback extends EventTarget {
  constructor() {
    super();
    this.soundOn = false;
    this.unlocked = false;
    // The press that unlocked sound, if it was a pointer press: the click that follows it
    // belongs to the same tap.
    this.unlockPress = null;
  }

  // listen turns sound on at the first pointer press or key press on the page.
  listen(target = window) {
    const unlock = (e) => {
      if (e.type === 'keydown' && ['Tab', 'Escape', 'Shift', 'Control', 'Alt', 'Meta'].includes(e.key)) return;
      target.removeEventListener('pointerdown', unlock, true);
      target.removeEventListener('keydown', unlock, true);
      this.unlocked = true;
      if (e.type === 'pointerdown') this.unlockPress = { target: e.target, at: e.timeStamp };
      this.setSound(true);
    };
    target.addEventListener('pointerdown', unlock, true);
    target.addEventListener('keydown', unlock, true);
  }

  setSound(on) {
    this.soundOn = !!on;
    this.dispatchEvent(new Event('change'));
  }
}

export class VerticalFeed {
  // ctx: {api, session, toast, events, playback, meter, router}; feed: the feed's name for
  // watch events; loadPage(cursor) returns {items, next_cursor}; label names the region.
  constructor({ ctx, feed, loadPage, label }) {
    this.ctx = ctx;
    this.feed = feed;
    this.loadPage = loadPage;
    this.slides = [];
    this.active = -1;
    this.cursor = '';
    this.loading = null;
    this.done = false;
    this.swipeStart = 0;
    this.el = h('div', { class: 'vfeed', role: 'feed', 'aria-label': label, 'aria-busy': 'true' });
    this.observer = new IntersectionObserver((entries) => this.onIntersect(entries), { root: this.el, threshold: [0.6] });
    this.onKey = this.onKey.bind(this);
    this.onVisibility = () => this.onVisibilityChange();
    this.onSound = () => this.applySound();
    this.onScroll = () => { if (!this.swipeStart) this.swipeStart = performance.now(); };
    // The tail of a scroll that already changed the video must not time the next swipe.
    this.onScrollEnd = () => { this.swipeStart = 0; };
    // Where a swipe will land is known as soon as the gesture picks its snap target, well
    // before the slide is mostly on screen: start that video then (Chromium's scroll snap
    // events; elsewhere the intersection observer alone decides).
    this.onSnapChanging = (e) => {
      const i = this.slides.findIndex((s) => s.el === e.snapTargetBlock);
      if (i < 0 || i === this.active) return;
      if (!this.swipeStart) this.swipeStart = performance.now();
      this.setActive(i);
    };
  }

  // start loads the first page and reports how many videos there are.
  async start() {
    document.addEventListener('keydown', this.onKey);
    document.addEventListener('visibilitychange', this.onVisibility);
    this.ctx.playback.addEventListener('change', this.onSound);
    this.el.addEventListener('scroll', this.onScroll, { passive: true });
    this.el.addEventListener('scrollend', this.onScrollEnd);
    this.el.addEventListener('scrollsnapchanging', this.onSnapChanging);
    await this.more();
    this.el.setAttribute('aria-busy', 'false');
    return this.slides.length;
  }

  destroy() {
    document.removeEventListener('keydown', this.onKey);
    document.removeEventListener('visibilitychange', this.onVisibility);
    this.ctx.playback.removeEventListener('change', this.onSound);
    this.observer.disconnect();
    if (this.slides[this.active]) this.slides[this.active].deactivate();
    for (const s of this.slides) s.detach();
    this.ctx.events.flush();
  }

  async more() {
    if (this.loading || this.done) return this.loading;
    this.loading = (async () => {
      const page = await this.loadPage(this.cursor);
      const items = page && Array.isArray(page.items) ? page.items : [];
      this.cursor = page && typeof page.next_cursor === 'string' ? page.next_cursor : '';
      if (!this.cursor) this.done = true;
      for (const item of items) {
        if (!item || !validVideoID(item.id) || this.slides.some((s) => s.item.id === item.id)) continue;
        const slide = new Slide(this, item, this.slides.length);
        this.slides.push(slide);
        this.el.append(slide.el);
        this.observer.observe(slide.el);
      }
      for (const s of this.slides) s.el.setAttribute('aria-setsize', this.done ? String(this.slides.length) : '-1');
      if (this.active < 0 && this.slides.length) this.setActive(0);
    })().finally(() => { this.loading = null; });
    return this.loading;
  }

  onIntersect(entries) {
    for (const e of entries) {
      if (e.isIntersecting && e.intersectionRatio >= 0.6) {
        const i = this.slides.findIndex((s) => s.el === e.target);
        if (i >= 0 && i !== this.active) this.setActive(i);
      }
    }
  }

  setActive(i) {
    const prev = this.slides[this.active];
    if (prev) prev.deactivate();
    this.active = i;
    this.slides.forEach((s, j) => {
      if (j >= i - KEEP_BEHIND && j <= i + PRELOAD_AHEAD) s.attach(j >= i ? 'auto' : 'metadata');
      else s.detach();
    });
    this.slides[i].activate(this.swipeStart);
    this.swipeStart = 0;
    if (i >= this.slides.length - 3) this.more().catch(() => {});
  }

  // go moves by delta videos, as a swipe would.
  go(delta) {
    const target = Math.min(Math.max(this.active + delta, 0), this.slides.length - 1);
    if (target === this.active || target < 0) return;
    this.swipeStart = performance.now();
    // The target is known: it starts playing at once, while it slides in.
    this.setActive(target);
    this.slides[target].el.scrollIntoView({ behavior: reducedMotion() ? 'auto' : 'smooth', block: 'start' });
  }

  onKey(e) {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || isTyping(e.target)) return;
    if (document.querySelector('dialog[open]')) return;
    const s = this.slides[this.active];
    if (!s) return;
    const onControl = e.target instanceof Element && e.target.closest('button, a, input, summary');
    switch (e.key) {
      case 'ArrowDown': case 'PageDown': case 'j': this.go(1); break;
      case 'ArrowUp': case 'PageUp': case 'k': this.go(-1); break;
      case ' ': if (onControl) return; s.togglePlay(); break;
      case 'm': this.ctx.playback.setSound(!this.ctx.playback.soundOn); break;
      case 'l': s.like(false); break;
      default: return;
    }
    e.preventDefault();
  }

  onVisibilityChange() {
    const s = this.slides[this.active];
    if (!s) return;
    if (document.visibilityState === 'hidden') s.video.pause();
    else if (!s.userPaused) s.play();
  }

  applySound() {
    for (const s of this.slides) s.applySound();
  }
}

// Slide is one video with its overlay and action rail.
class Slide {
  constructor(feed, item, index) {
    this.feed = feed;
    this.ctx = feed.ctx;
    this.item = item;
    this.index = index;
    this.rendition = null;
    this.userPaused = false;
    this.activeNow = false;
    this.impressed = false;
    this.pendingTap = 0;
    this.lastTapAt = 0;
    this.raf = 0;
    this.resetWatch();
    this.build();
  }

  resetWatch() {
    this.watchedMs = 0;
    this.lastTime = 0;
    this.quartiles = new Set();
    this.completed = false;
    this.started = false;
    this.swipeStart = 0;
  }

  get author() {
    return this.item.author || {};
  }

  build() {
    const it = this.item, a = this.author;
    const who = a.username ? `@${a.username}` : 'unknown creator';
    this.video = h('video', { class: 'slide-video', playsInline: true, loop: true, muted: true, preload: 'none', 'aria-hidden': 'true', tabIndex: -1 });
    this.video.setAttribute('playsinline', '');
    this.video.setAttribute('muted', '');
    if (safeURL(it.poster, 'media')) this.video.setAttribute('poster', safeURL(it.poster, 'media'));
    this.wireVideo();

    this.tap = h('div', { class: 'tap-layer', onclick: (e) => this.onTap(e) });
    this.bursts = h('div', { class: 'bursts', 'aria-hidden': 'true' });
    this.paused = h('div', { class: 'paused-mark', 'aria-hidden': 'true' }, icon('play'));
    this.wait = spinner('Loading video');
    this.wait.classList.add('slide-wait');

    this.playBtn = iconButton('pause', 'Pause', { cls: 'stage-btn', onClick: () => this.togglePlay() });
    this.muteBtn = iconButton('muted', 'Turn sound on', { cls: 'stage-btn', onClick: () => this.ctx.playback.setSound(!this.ctx.playback.soundOn) });
    this.applySound();

    this.progress = h('input', {
      type: 'range', class: 'progress', min: 0, max: 1000, step: 1, value: 0, 'aria-label': 'Seek',
      oninput: () => this.seek(), onpointerdown: () => { this.scrubbing = true; },
      onpointerup: () => { this.scrubbing = false; }, onchange: () => { this.scrubbing = false; },
    });

    const profile = profilePath(a.username);
    const authorLine = h('div', { class: 'meta-author' },
      profile ? h('a', { href: profile, class: 'meta-username' }, who) : h('span', { class: 'meta-username' }, who),
      a.display_name ? h('span', { class: 'meta-name' }, a.display_name) : null);
    this.caption = h('p', { class: 'meta-caption' }, richText(it.caption || ''));
    const reason = it.reason && typeof it.reason.text === 'string' && it.reason.text ? it.reason : null;
    let why = null;
    if (reason) {
      const whyText = h('div', { class: 'why-text', id: `why-${it.id}`, hidden: true },
        h('p', null, reason.text),
        h('a', { class: 'why-link', href: '/ranking' }, 'How For You works'));
      const whyBtn = h('button', { type: 'button', class: 'why-btn', 'aria-expanded': 'false', 'aria-controls': `why-${it.id}` },
        icon('info'), h('span', null, 'Why am I seeing this?'));
      whyBtn.addEventListener('click', () => {
        const open = whyBtn.getAttribute('aria-expanded') !== 'true';
        whyBtn.setAttribute('aria-expanded', String(open));
        whyText.hidden = !open;
      });
      why = h('div', { class: 'why' }, whyBtn, whyText);
    }
    const meta = h('div', { class: 'meta' }, authorLine, this.caption, why);

    this.stage = h('div', { class: 'stage' },
      this.video, this.tap, this.paused, this.wait, this.bursts,
      h('div', { class: 'stage-controls' }, this.playBtn, this.muteBtn),
      h('div', { class: 'stage-bottom' }, meta, this.progress));

    this.likeBtn = this.railButton('heart', 'Like', () => this.like(false));
    this.commentBtn = this.railButton('comment', 'Comments', () => this.openComments());
    this.shareBtn = this.railButton('share', 'Share', () => this.openShare());
    const notBtn = this.railButton('ban', 'Not interested', () => this.notInterested());
    this.followBtn = h('button', { type: 'button', class: 'rail-follow', 'aria-label': `Follow ${who}`, onclick: () => this.follow() }, icon('plus'));
    const me = this.ctx.session.me;
    const own = !!(me && me.id === a.id);
    if ((it.viewer && it.viewer.following) || own) this.followBtn.hidden = true;
    if (own) notBtn.el.hidden = true;
    const avatarLink = profile
      ? h('a', { href: profile, class: 'rail-avatar', 'aria-label': `Open ${who}'s profile` }, avatar(a, 'md'))
      : h('span', { class: 'rail-avatar' }, avatar(a, 'md'));
    this.rail = h('div', { class: 'rail' },
      h('div', { class: 'rail-creator' }, avatarLink, this.followBtn),
      this.likeBtn.el, this.commentBtn.el, this.shareBtn.el, notBtn.el);
    this.renderCounts();

    this.el = h('article', {
      class: 'slide', 'aria-posinset': String(this.index + 1), 'aria-setsize': '-1',
      'aria-label': `Video by ${who}${it.duration_ms ? `, ${duration(it.duration_ms / 1000)}` : ''}`,
      dataset: { videoId: it.id },
    }, this.stage, this.rail);
  }

  railButton(name, label, onClick) {
    const n = h('span', { class: 'rail-count' });
    const el = h('button', { type: 'button', class: `rail-btn rail-btn--${name}`, 'aria-label': label, onclick: onClick },
      h('span', { class: 'rail-icon' }, icon(name)), n);
    return { el, count: n };
  }

  renderCounts() {
    const c = this.item.counts || {};
    const liked = !!(this.item.viewer && this.item.viewer.liked);
    this.likeBtn.count.textContent = count(c.likes);
    this.likeBtn.el.setAttribute('aria-pressed', String(liked));
    this.likeBtn.el.setAttribute('aria-label', `Like, ${count(c.likes)} likes`);
    this.commentBtn.count.textContent = count(c.comments);
    this.commentBtn.el.setAttribute('aria-label', `Comments, ${count(c.comments)}`);
    this.shareBtn.count.textContent = count(c.shares);
  }

  wireVideo() {
    const v = this.video;
    v.addEventListener('waiting', () => this.stage.classList.add('is-waiting'));
    v.addEventListener('playing', () => {
      this.stage.classList.remove('is-waiting');
      // The first frame after the slide became active is a view: the server counts views
      // from play_start, not from an impression (the slide merely shown).
      if (this.activeNow && !this.started) {
        this.started = true;
        this.record('play_start');
      }
      if (this.activeNow && this.swipeStart) {
        performance.measure('kurz:swipe-to-play', { start: this.swipeStart, end: performance.now() });
        this.swipeStart = 0;
      }
    });
    v.addEventListener('canplay', () => this.stage.classList.remove('is-waiting'));
    v.addEventListener('play', () => this.renderPlayState());
    v.addEventListener('pause', () => this.renderPlayState());
    v.addEventListener('timeupdate', () => this.track());
    v.addEventListener('seeking', () => this.onSeeking());
    v.addEventListener('progress', () => this.measure());
    v.addEventListener('error', () => {
      this.stage.classList.remove('is-waiting');
      this.stage.classList.add('is-broken');
    });
  }

  // attach gives the video its source: 'auto' buffers it now, 'metadata' only its header.
  attach(preload) {
    this.video.preload = preload;
    if (this.rendition) return;
    const r = chooseRendition(this.item.renditions, {
      width: this.stage.clientWidth || window.innerWidth, height: this.stage.clientHeight || window.innerHeight,
      dpr: window.devicePixelRatio, throughputBps: this.ctx.meter.estimate(),
    });
    const url = r && safeURL(r.url, 'media');
    if (!url) {
      this.stage.classList.add('is-broken');
      return;
    }
    this.rendition = r;
    this.loadStart = performance.now();
    this.loadedBytes = 0;
    this.video.src = url;
  }

  detach() {
    if (!this.rendition) return;
    this.video.pause();
    this.video.removeAttribute('src');
    this.video.load();
    this.rendition = null;
  }

  activate(swipeStart) {
    this.activeNow = true;
    this.resetWatch();
    this.swipeStart = swipeStart || 0;
    this.userPaused = false;
    this.applySound();
    if (!this.impressed) {
      this.impressed = true;
      this.record('impression');
    }
    this.play();
    const step = () => {
      this.renderProgress();
      this.raf = requestAnimationFrame(step);
    };
    this.raf = requestAnimationFrame(step);
  }

  deactivate() {
    if (!this.activeNow) return;
    this.activeNow = false;
    cancelAnimationFrame(this.raf);
    clearTimeout(this.pendingTap);
    if (!this.completed) this.record('skip');
    this.video.pause();
    if (this.video.readyState > 0) this.video.currentTime = 0;
  }

  play() {
    const v = this.video;
    v.muted = !this.ctx.playback.soundOn;
    const p = v.play();
    if (p) {
      p.catch((err) => {
        // Without a user gesture yet the browser refuses sound: play muted instead.
        if (err && err.name === 'NotAllowedError' && !v.muted) {
          v.muted = true;
          this.ctx.playback.setSound(false);
          v.play().catch(() => this.renderPlayState());
        }
      });
    }
  }

  togglePlay() {
    if (this.video.paused) {
      this.userPaused = false;
      this.play();
    } else {
      this.userPaused = true;
      this.video.pause();
    }
  }

  renderPlayState() {
    const paused = this.video.paused;
    this.stage.classList.toggle('is-paused', paused && this.userPaused);
    clear(this.playBtn).append(icon(paused ? 'play' : 'pause'));
    this.playBtn.setAttribute('aria-label', paused ? 'Play' : 'Pause');
    this.playBtn.title = paused ? 'Play' : 'Pause';
  }

  applySound() {
    const on = this.ctx.playback.soundOn;
    if (this.activeNow) this.video.muted = !on;
    clear(this.muteBtn).append(icon(on ? 'volume' : 'muted'));
    this.muteBtn.setAttribute('aria-label', on ? 'Mute' : 'Turn sound on');
    this.muteBtn.title = on ? 'Mute' : 'Turn sound on';
    this.muteBtn.classList.toggle('stage-btn--attention', !on);
  }

  // onTap: one tap pauses or plays, two quick taps like the video. The tap that first
  // turned sound on only does that, so nobody's first touch also pauses the video.
  onTap(e) {
    const press = this.ctx.playback.unlockPress;
    if (press && press.target === e.target && e.timeStamp - press.at < 700) {
      this.ctx.playback.unlockPress = null;
      return;
    }
    if (this.pendingTap && e.timeStamp - this.lastTapAt < DOUBLE_TAP_MS) {
      clearTimeout(this.pendingTap);
      this.pendingTap = 0;
      this.burst(e);
      this.like(true);
      return;
    }
    this.lastTapAt = e.timeStamp;
    this.pendingTap = setTimeout(() => {
      this.pendingTap = 0;
      this.togglePlay();
    }, DOUBLE_TAP_MS);
  }

  burst(e) {
    const box = this.stage.getBoundingClientRect();
    const heart = h('span', { class: 'burst' }, icon('heart'));
    heart.style.setProperty('--x', `${Math.round(e.clientX - box.left)}px`);
    heart.style.setProperty('--y', `${Math.round(e.clientY - box.top)}px`);
    heart.style.setProperty('--tilt', `${Math.round(Math.random() * 30 - 15)}deg`);
    this.bursts.append(heart);
    const done = () => heart.remove();
    heart.addEventListener('animationend', done);
    setTimeout(done, 1200);
  }

  seek() {
    const v = this.video;
    if (!Number.isFinite(v.duration) || v.duration <= 0) return;
    v.currentTime = (Number(this.progress.value) / 1000) * v.duration;
    // A jump is not watching: count time from where the viewer landed.
    this.lastTime = v.currentTime;
    this.renderProgress();
  }

  renderProgress() {
    const v = this.video;
    if (!Number.isFinite(v.duration) || v.duration <= 0) return;
    if (!this.scrubbing) this.progress.value = String(Math.round((v.currentTime / v.duration) * 1000));
    this.progress.style.setProperty('--p', `${(Number(this.progress.value) / 10).toFixed(1)}%`);
    this.progress.setAttribute('aria-valuetext', `${duration(v.currentTime)} of ${duration(v.duration)}`);
  }

  // track turns playback into watch events: time actually watched, the first pass over
  // each quarter, and a completed view when a loop wraps around.
  track() {
    if (!this.activeNow) return;
    const v = this.video, t = v.currentTime, d = v.duration;
    if (!Number.isFinite(d) || d <= 0) return;
    const delta = t - this.lastTime;
    if (delta > 0 && delta < 1.5) this.watchedMs += delta * 1000;
    if (!this.completed) {
      for (const q of [0.25, 0.5, 0.75]) {
        if (t / d >= q && !this.quartiles.has(q)) {
          this.quartiles.add(q);
          this.record('progress');
        }
      }
      if (delta < -0.5 && this.lastTime > d - 1) {
        this.completed = true;
        this.record('complete');
      }
    }
    this.lastTime = t;
  }

  // onSeeking catches the loop: the browser loops by seeking back to the start, and
  // timeupdate, sent only a few times a second, may never report the wrap.
  onSeeking() {
    if (!this.activeNow) return;
    const v = this.video, d = v.duration;
    if (!this.completed && Number.isFinite(d) && this.lastTime > d - 1 && v.currentTime < 1) {
      this.completed = true;
      this.record('complete');
    }
    this.lastTime = v.currentTime;
  }

  // measure feeds the throughput meter with the bytes the browser has buffered.
  measure() {
    const v = this.video, r = this.rendition;
    if (!r || !(r.bytes > 0) || !Number.isFinite(v.duration) || v.duration <= 0 || !v.buffered.length) return;
    const end = v.buffered.end(v.buffered.length - 1);
    const bytes = (r.bytes * end) / v.duration;
    const now = performance.now();
    if (bytes - this.loadedBytes >= 65536) {
      this.ctx.meter.sample(bytes - this.loadedBytes, now - this.loadStart);
      this.loadedBytes = bytes;
      this.loadStart = now;
    }
  }

  record(type) {
    const v = this.video;
    this.ctx.events.record(type, {
      video_id: this.item.id, feed: this.feed.feed,
      position_ms: (v.currentTime || 0) * 1000, watched_ms: this.watchedMs,
      duration_ms: this.item.duration_ms || (Number.isFinite(v.duration) ? v.duration * 1000 : 0),
    });
  }

  needLogin(what) {
    if (this.ctx.session.loggedIn) return false;
    this.ctx.toast.show(`Log in to ${what}.`, {
      action: { label: 'Log in', run: () => this.ctx.router.navigate(`/login?next=${encodeURIComponent(location.pathname)}`) },
    });
    return true;
  }

  // like is optimistic: the heart turns red at once and turns back if the server says no.
  // A double tap only ever likes; the button toggles.
  async like(fromDoubleTap) {
    const it = this.item;
    it.viewer = it.viewer || {};
    it.counts = it.counts || {};
    if (fromDoubleTap && it.viewer.liked) return;
    if (this.needLogin('like videos')) return;
    const next = !it.viewer.liked;
    const before = { liked: it.viewer.liked, likes: it.counts.likes };
    it.viewer.liked = next;
    it.counts.likes = Math.max(0, (Number(it.counts.likes) || 0) + (next ? 1 : -1));
    this.renderCounts();
    this.likeBtn.el.classList.toggle('pop', next && !reducedMotion());
    try {
      const path = `/videos/${encodeURIComponent(it.id)}/like`;
      const out = next ? await this.ctx.api.post(path) : await this.ctx.api.delete(path);
      if (out && typeof out.likes === 'number') it.counts.likes = out.likes;
      if (out && typeof out.liked === 'boolean') it.viewer.liked = out.liked;
    } catch (e) {
      it.viewer.liked = before.liked;
      it.counts.likes = before.likes;
      this.ctx.toast.show(soonOr(e, 'Likes are coming to this server soon.'), { kind: 'error' });
    }
    this.renderCounts();
  }

  async follow() {
    const a = this.author;
    if (!a.username || this.needLogin('follow creators')) return;
    this.followBtn.disabled = true;
    try {
      const out = await this.ctx.api.post(`/accounts/${encodeURIComponent(a.username)}/follow`);
      this.item.viewer = { ...this.item.viewer, following: true };
      this.followBtn.hidden = true;
      this.ctx.toast.show(out && out.state === 'pending' ? `Follow request sent to @${a.username}.` : `You follow @${a.username}.`);
    } catch (e) {
      this.ctx.toast.show(soonOr(e, 'Following is coming to this server soon.'), { kind: 'error' });
    } finally {
      this.followBtn.disabled = false;
    }
  }

  async notInterested() {
    if (this.needLogin('tune your feed')) return;
    try {
      const key = Array.from(crypto.getRandomValues(new Uint8Array(16)), (x) => x.toString(16).padStart(2, '0')).join('');
      await this.ctx.api.post('/events', { events: [{ key, kind: 'not_interested', target: 'video', video_id: String(this.item.id), feed: 'for_you', at: new Date().toISOString() }] });
      this.ctx.toast.show('Got it: you will see fewer videos like this.');
      this.feed.go(1);
    } catch (e) {
      this.ctx.toast.show(soonOr(e, '"Not interested" is coming to this server soon.'), { kind: 'error' });
    }
  }

  openComments() {
    openComments(this.ctx, this.item, () => {
      this.item.counts = this.item.counts || {};
      this.item.counts.comments = (Number(this.item.counts.comments) || 0) + 1;
      this.renderCounts();
    });
  }

  openShare() {
    // The server's own address for the video (its public URL), else this page's origin.
    const given = safeURL(this.item.share_url, 'link');
    const link = given && /^https?:/.test(given) ? given : `${location.origin}/v/${this.item.id}`;
    const copy = async () => {
      try {
        await navigator.clipboard.writeText(link);
        this.ctx.toast.show('Link copied.');
        if (this.ctx.session.loggedIn) this.ctx.api.post(`/videos/${encodeURIComponent(this.item.id)}/share`).catch(() => {});
      } catch {
        this.ctx.toast.show(`Copy this link: ${link}`, { timeout: 9000 });
      }
    };
    // Only public videos have an embeddable player; the id is a ULID, so it needs no escaping.
    const publicVideo = this.item.visibility === 'public' && /^[0-9a-z]{26}$/.test(String(this.item.id));
    const embed = `<iframe src="${new URL(link).origin}/embed/${this.item.id}" width="325" height="578" frameborder="0" allow="autoplay; fullscreen; picture-in-picture" allowfullscreen></iframe>`;
    const copyEmbed = async () => {
      try {
        await navigator.clipboard.writeText(embed);
        this.ctx.toast.show('Embed code copied.');
      } catch {
        this.ctx.toast.show(`Copy this code: ${embed}`, { timeout: 9000 });
      }
    };
    const content = h('div', { class: 'share' },
      h('button', { type: 'button', class: 'share-option', onclick: copy }, h('span', { class: 'share-icon' }, icon('link')), 'Copy link'),
      publicVideo
        ? h('button', { type: 'button', class: 'share-option', onclick: copyEmbed }, h('span', { class: 'share-icon' }, icon('code')), 'Copy embed code')
        : h('button', { type: 'button', class: 'share-option', disabled: true, 'aria-describedby': 'embed-note' },
          h('span', { class: 'share-icon' }, icon('code')), 'Copy embed code'),
      publicVideo ? null : h('p', { class: 'sheet-note', id: 'embed-note' }, 'Only public videos can be embedded.'),
      h('input', { class: 'input share-link', value: link, readonly: true, 'aria-label': 'Link to this video' }));
    sheet({ title: 'Share', content });
  }
}
