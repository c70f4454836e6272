// Which rendition of a video to play: the smallest that fills the player without visible
// upscaling, stepped down while the measured throughput could not keep up with it.

// chooseRendition picks from renditions ({url, width, height, bitrate, bytes}) for a player
// box of width x height CSS pixels. The video covers the box (object-fit: cover), so the
// rendition must be at least box x dpr on its tighter axis. Device pixel ratios above 2
// are capped: on a phone the difference is invisible and costs a third more bytes.
export function chooseRendition(renditions, { width, height, dpr = 1, throughputBps = 0, headroom = 0.7 } = {}) {
  const usable = (Array.isArray(renditions) ? renditions : [])
    .filter((r) => r && typeof r.url === 'string' && r.url && r.width > 0 && r.height > 0)
    .sort((a, b) => a.width * a.height - b.width * b.height || (a.bitrate || 0) - (b.bitrate || 0));
  if (!usable.length) return null;
  const d = Math.min(Math.max(dpr || 1, 1), 2);
  const needW = Math.max(1, width || 0) * d, needH = Math.max(1, height || 0) * d;
  // Allow 10% upscaling: nobody sees it and it often saves a whole rung of the ladder.
  let pick = usable.findIndex((r) => Math.max(needW / r.width, needH / r.height) <= 1.1);
  if (pick < 0) pick = usable.length - 1;
  if (throughputBps > 0) {
    while (pick > 0 && (usable[pick].bitrate || 0) > throughputBps * headroom) pick--;
  }
  return usable[pick];
}

// ThroughputMeter estimates download speed from (bytes, milliseconds) samples with two
// exponentially weighted averages, one quick and one slow, and trusts the lower: quick to
// notice a drop, slow to believe a spike (as Shaka Player's bandwidth estimator does).
export class ThroughputMeter {
  constructor({ storage, key = 'kurz.throughput', initialBps } = {}) {
    this.storage = storage;
    this.key = key;
    this.fast = new Ewma(2);
    this.slow = new Ewma(5);
    const saved = storage ? Number(storage.getItem(key)) : 0;
    const hint = typeof navigator !== 'undefined' && navigator.connection && navigator.connection.downlink;
    this.initial = initialBps || (saved > 0 ? saved : hint ? hint * 1e6 : 0);
  }

  // sample records that bytes arrived in ms. Tiny samples say more about latency than
  // bandwidth, so they are ignored.
  sample(bytes, ms) {
    if (!(bytes >= 16384) || !(ms >= 10)) return;
    const bps = (bytes * 8 * 1000) / ms;
    this.fast.add(bps, bytes);
    this.slow.add(bps, bytes);
    if (this.storage) {
      try { this.storage.setItem(this.key, String(Math.round(this.estimate()))); } catch { /* full */ }
    }
  }

  // estimate is bits per second, or 0 when nothing is known yet.
  estimate() {
    if (!this.fast.weight) return this.initial;
    return Math.min(this.fast.value(), this.slow.value());
  }
}

class Ewma {
  constructor(halfLife) {
    this.alpha = Math.exp(Math.log(0.5) / halfLife);
    this.estimate = 0;
    this.weight = 0;
  }

  // add weighs a sample by its size in 64 KiB units, so one large download counts more
  // than a burst of small ones.
  add(v, bytes) {
    const w = Math.max(bytes / 65536, 0.25);
    const a = Math.pow(this.alpha, w);
    this.estimate = v * (1 - a) + a * this.estimate;
    this.weight += w;
  }

  value() {
    const zeroFactor = 1 - Math.pow(this.alpha, this.weight);
    return this.estimate / zeroFactor;
  }
}
