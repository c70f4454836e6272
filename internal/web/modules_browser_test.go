//go:build !noui

package web_test

import (
	"testing"

	"kurz/internal/testkit"
)

// TestBrowserModules runs the client's pure modules in Chromium, imported from the URLs
// the server gives them: rendition choice, the throughput meter, URL checks, rich text
// and the watch-event queue. Each check is an expression that must hold; the page
// reports the ones that do not.
func TestBrowserModules(t *testing.T) {
	app := testkit.NewApp(t, sqlite, nil)
	b := newBrowser(t, app.Server.URL)
	b.open("/login")
	failures := evalAs[[]string](b, moduleChecks)
	for _, f := range failures {
		t.Error(f)
	}
	if len(failures) == 0 && evalAs[int](b, `window.__checks`) < 30 {
		t.Fatalf("only %d checks ran", evalAs[int](b, `window.__checks`))
	}
}

const moduleChecks = `(async () => {
  const v = document.querySelector('meta[name="kurz-version"]').content;
  const load = (p) => import('/assets/' + v + '/js/' + p);
  const { chooseRendition, ThroughputMeter } = await load('player/rendition.js');
  const { safeURL } = await load('dom.js');
  const { richText, validUsername, tagPath } = await load('text.js');
  const { WatchEvents, eventID } = await load('events.js');
  const { ApiError } = await load('api.js');
  const fails = [];
  let n = 0;
  const check = (name, ok, got) => { n++; if (!ok) fails.push(name + (got === undefined ? '' : ' (got ' + JSON.stringify(got) + ')')); };

  // Rendition choice.
  const ladder = [
    { url: '/m/1080.mp4', width: 1080, height: 1920, bitrate: 3500000, bytes: 1 },
    { url: '/m/480.mp4', width: 480, height: 854, bitrate: 900000, bytes: 1 },
    { url: '/m/720.mp4', width: 720, height: 1280, bitrate: 1600000, bytes: 1 },
  ];
  const pick = (o) => (chooseRendition(ladder, o) || {}).url;
  check('a phone at DPR 3 (capped to 2) needs 1080', pick({ width: 390, height: 844, dpr: 3 }) === '/m/1080.mp4', pick({ width: 390, height: 844, dpr: 3 }));
  check('a phone on 3 Mbit/s steps down to 720', pick({ width: 390, height: 844, dpr: 3, throughputBps: 3e6 }) === '/m/720.mp4', pick({ width: 390, height: 844, dpr: 3, throughputBps: 3e6 }));
  check('a 450x800 desktop player fits 480 within 10% upscaling', pick({ width: 450, height: 800, dpr: 1 }) === '/m/480.mp4', pick({ width: 450, height: 800, dpr: 1 }));
  check('a 506x900 desktop player at DPR 2 wants 1080', pick({ width: 506, height: 900, dpr: 2 }) === '/m/1080.mp4');
  check('a very slow link still gets the smallest', pick({ width: 390, height: 844, dpr: 2, throughputBps: 2e5 }) === '/m/480.mp4');
  check('a fast link keeps the size the screen needs', pick({ width: 390, height: 844, dpr: 2, throughputBps: 1e8 }) === '/m/1080.mp4');
  check('a phone at DPR 1 fits 480 within 10% upscaling', pick({ width: 390, height: 844, dpr: 1, throughputBps: 1e8 }) === '/m/480.mp4');
  check('a huge screen gets the largest', pick({ width: 4000, height: 4000, dpr: 1 }) === '/m/1080.mp4');
  check('no renditions', chooseRendition([], { width: 1, height: 1 }) === null);
  check('broken renditions are skipped', chooseRendition([{ url: '', width: 1, height: 1 }, { width: 10 }, null], { width: 1, height: 1 }) === null);

  // Throughput.
  const m = new ThroughputMeter({ initialBps: 1e6 });
  check('before samples the meter says its hint', m.estimate() === 1e6);
  m.sample(1000, 100);
  check('tiny samples are ignored', m.estimate() === 1e6);
  for (let i = 0; i < 5; i++) m.sample(1e6, 1000);
  check('1 MB a second is 8 Mbit/s', Math.abs(m.estimate() - 8e6) < 1e5, m.estimate());
  m.sample(1e6, 8000);
  check('a slow sample pulls the estimate down at once', m.estimate() < 6e6, m.estimate());

  // URLs.
  for (const bad of ['javascript:alert(1)', ' JaVaScRiPt:alert(1)', 'java\tscript:alert(1)', '//evil.example/x', '/\\evil.example',
    'data:text/html,<script>alert(1)</script>', 'vbscript:x', '', 'blob:https://evil.example/x']) {
    check('refused link ' + JSON.stringify(bad), safeURL(bad, 'link') === null, safeURL(bad, 'link'));
    check('refused media ' + JSON.stringify(bad), safeURL(bad, 'media') === null, safeURL(bad, 'media'));
  }
  check('same-site path', safeURL('/media/a.jpg', 'media') === '/media/a.jpg');
  check('https link', safeURL('https://example.org/a', 'link') === 'https://example.org/a');
  check('fragment link', safeURL('#main', 'link') === '#main');
  check('data image only as media', safeURL('data:image/png;base64,AAAA', 'media') !== null && safeURL('data:image/png;base64,AAAA', 'link') === null);
  check('own blob as media', safeURL('blob:' + location.origin + '/1234', 'media') !== null);

  // Rich text: hashtags and mentions become our own links; nothing else does, and the
  // text reads exactly as written.
  const text = 'hi #Dance and @bob.b, mail@example.com #a.b @x @.. <b>x</b> javascript:alert(1) @javascript:alert(1) #été.';
  const nodes = richText(text);
  const div = document.createElement('div');
  div.append(...nodes);
  check('rich text keeps the text', div.textContent === text, div.textContent);
  const hrefs = [...div.querySelectorAll('a')].map((a) => a.getAttribute('href'));
  const want = ['/tag/dance', '/@bob.b', '/@javascript', '/tag/%C3%A9t%C3%A9'];
  check('rich text links', JSON.stringify(hrefs) === JSON.stringify(want), hrefs);
  check('no element but links', div.querySelectorAll(':not(a)').length === 0);
  check('usernames', validUsername('maya') && !validUsername('ab') && !validUsername('.maya') && !validUsername('a..b') && !validUsername('Maya'));
  check('tag paths', tagPath('ok_1') === '/tag/ok_1' && tagPath('no/slash') === null && tagPath('') === null);

  // The watch-event queue: kept through failures and reloads, sent in order, dropped
  // only when the server says no such endpoint exists.
  const mem = () => { const s = new Map(); return { getItem: (k) => s.has(k) ? s.get(k) : null, setItem: (k, v) => s.set(k, v), removeItem: (k) => s.delete(k) }; };
  const store = mem();
  let mode = 'offline';
  const sent = [];
  const api = { post: async (path, body) => {
    if (mode === 'offline') throw new ApiError(0, 'network', 'offline');
    if (mode === 'gone') throw new ApiError(404, 'no_such_endpoint', 'none');
    sent.push(...body.events);
    return null;
  } };
  const q = new WatchEvents({ api, storage: store, maxBatch: 2, maxQueue: 4 });
  for (let i = 0; i < 3; i++) q.record('impression', { video_id: 'v' + i, feed: 'for_you' });
  q.record('bogus', { video_id: 'x' });
  await q.flush();
  check('offline keeps every event', q.pending === 3, q.pending);
  const reloaded = new WatchEvents({ api, storage: store, maxBatch: 2, maxQueue: 4 });
  check('a new page restores the queue', reloaded.pending === 3, reloaded.pending);
  mode = 'online';
  await reloaded.flush({ keepalive: true });
  check('back online everything is sent, in order', sent.map((e) => e.video_id).join() === 'v0,v1,v2', sent.map((e) => e.video_id));
  check('each event has its own key', new Set(sent.map((e) => e.key)).size === 3 && sent.every((e) => /^[0-9a-f]{32}$/.test(e.key)));
  const t0 = Date.now();
  check('keys begin with the time, so they sort by it', sent.every((e) => Math.abs(parseInt(e.key.slice(0, 12), 16) - t0) < 60000) &&
    eventID(1000) < eventID(1001) && eventID(0xfff) < eventID(0x1000) && eventID(1000).slice(0, 12) === '0000000003e8', sent.map((e) => e.key));
  check('the storage is emptied', store.getItem('kurz.events.v1') === null);
  mode = 'offline';
  for (let i = 0; i < 6; i++) reloaded.record('progress', { video_id: 'p' + i });
  await reloaded.flush();
  check('a long outage keeps only the newest', reloaded.pending <= 4 && reloaded.queue.at(-1).video_id === 'p5', reloaded.pending);
  mode = 'gone';
  await reloaded.flush({ keepalive: true });
  reloaded.record('skip', { video_id: 'z' });
  check('no endpoint: the queue is dropped and stays empty', reloaded.pending === 0 && store.getItem('kurz.events.v1') === null);

  // Checkpoint keys are base64 and may contain '+', which also separates their parts.
  const { verifyCheckpoint } = await load('transparency.js');
  const b64 = (u) => btoa(String.fromCharCode(...u));
  let pair, key;
  do { // about every other key has a '+' in base64
    pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
    key = Uint8Array.of(1, ...new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey)));
  } while (!b64(key).includes('+'));
  const name = 'example.org/log';
  const keyHash = new Uint8Array(await crypto.subtle.digest('SHA-256', Uint8Array.of(...new TextEncoder().encode(name + '\n'), ...key))).slice(0, 4);
  const root = b64(new Uint8Array(32).fill(7));
  const body = name + '\n5\n' + root + '\n';
  const sig = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, pair.privateKey, new TextEncoder().encode(body)));
  const cp = { note: body + '\n\u2014 ' + name + ' ' + b64(Uint8Array.of(...keyHash, ...sig)) + '\n', tree_size: 5, root,
    verifier_key: name + '+' + Array.from(keyHash, (x) => x.toString(16).padStart(2, '0')).join('') + '+' + b64(key) };
  const good = await verifyCheckpoint(cp);
  check('a genuine checkpoint verifies (key ' + cp.verifier_key + ')', good.ok, good.reason);
  check('a checkpoint for another size does not', !(await verifyCheckpoint({ ...cp, tree_size: 6 })).ok);
  check('a checkpoint under another key does not', !(await verifyCheckpoint({ ...cp, verifier_key: cp.verifier_key.replace(/.$/, (c) => c === 'A' ? 'B' : 'A') })).ok);

  window.__checks = n;
  return fails;
})()`
