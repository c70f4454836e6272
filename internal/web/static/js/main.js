// kurz web client: builds the services every page shares, asks the server who is logged
// in, then hands the address bar to the router.

import { Api } from './api.js';
import { Session } from './session.js';
import { Router } from './router.js';
import { Toasts } from './ui.js';
import { WatchEvents, safeStorage } from './events.js';
import { Playback } from './player/feed.js';
import { ThroughputMeter } from './player/rendition.js';
import { Shell } from './shell.js';

async function main() {
  const api = new Api();
  const session = new Session(api);
  const storage = safeStorage();
  const ctx = {
    api, session,
    toast: new Toasts(),
    events: new WatchEvents({ api, storage }),
    playback: new Playback(),
    meter: new ThroughputMeter({ storage }),
  };
  ctx.playback.listen();
  let offline = false;
  try {
    await session.load();
  } catch {
    offline = true;
  }
  const shell = new Shell(ctx);
  ctx.router = new Router((route) => shell.render(route));
  shell.mount(document.getElementById('app'));
  ctx.events.start();
  ctx.router.start();
  if (offline) ctx.toast.show("Can't reach the server right now; some things may not work until it answers.", { kind: 'error', timeout: 8000 });
}

main();
