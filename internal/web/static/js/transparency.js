// Checking the access log in the browser, so a person need not take the server's word:
// each entry's inclusion proof is recomputed up to the checkpoint's root (RFC 6962 hashing),
// and the checkpoint's Ed25519 signature is verified against the log's public key
// (a signed note in the C2SP tlog-checkpoint format). Both use WebCrypto, which browsers
// offer only to HTTPS pages and localhost.

const enc = new TextEncoder();

export function cryptoAvailable() {
  return typeof crypto !== 'undefined' && !!crypto.subtle;
}

function fromB64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function toB64(bytes) {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

function equal(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// verifyInclusion follows RFC 9162 section 2.1.3.2: the leaf at index, hashed up the
// proof's path, must give root for a tree of size entries.
export async function verifyInclusion(index, size, leaf, proof, root) {
  if (!(index >= 0) || !(index < size)) return false;
  let fn = index, sn = size - 1;
  let r = await sha256(concat(Uint8Array.of(0), leaf));
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(concat(Uint8Array.of(1), p, r));
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      }
    } else {
      r = await sha256(concat(Uint8Array.of(1), r, p));
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}

// verifyCheckpoint checks the signed note against the verifier key ("name+hash+key") and
// that it states the size and root the answer claims. It returns {ok, reason}.
export async function verifyCheckpoint(cp) {
  // "name+hash+key": the name and the hex hash hold no '+', but base64 may.
  const vk = String(cp.verifier_key || '');
  const i = vk.indexOf('+'), j = vk.indexOf('+', i + 1);
  if (i <= 0 || j < 0) return { ok: false, reason: 'the log key is malformed' };
  const name = vk.slice(0, i), hashHex = vk.slice(i + 1, j), keyB64 = vk.slice(j + 1);
  let key;
  try { key = fromB64(keyB64); } catch { return { ok: false, reason: 'the log key is malformed' }; }
  if (key.length !== 33 || key[0] !== 1) return { ok: false, reason: 'the log key is not an Ed25519 key' };
  const keyHash = (await sha256(concat(enc.encode(`${name}\n`), key))).slice(0, 4);
  if (Array.from(keyHash, (b) => b.toString(16).padStart(2, '0')).join('') !== hashHex) return { ok: false, reason: 'the log key does not match its own hash' };

  const note = String(cp.note || '');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) return { ok: false, reason: 'the checkpoint is not signed' };
  const text = note.slice(0, split + 1);
  let signed = false;
  for (const line of note.slice(split + 2).split('\n')) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    let raw;
    try { raw = fromB64(m[2]); } catch { continue; }
    if (raw.length !== 68 || !equal(raw.slice(0, 4), keyHash)) continue;
    try {
      const pub = await crypto.subtle.importKey('raw', key.slice(1), { name: 'Ed25519' }, false, ['verify']);
      signed = await crypto.subtle.verify({ name: 'Ed25519' }, pub, raw.slice(4), enc.encode(text));
    } catch {
      return { ok: false, reason: 'this browser cannot check Ed25519 signatures' };
    }
    if (signed) break;
  }
  if (!signed) return { ok: false, reason: 'the checkpoint signature does not verify' };
  const [origin, size, rootB64] = text.split('\n');
  if (origin !== name) return { ok: false, reason: 'the checkpoint names another log' };
  if (size !== String(cp.tree_size) || rootB64 !== toB64(fromB64(cp.root || ''))) {
    return { ok: false, reason: 'the checkpoint says something else than the answer' };
  }
  return { ok: true, reason: '' };
}

// verifyAccessLog checks a page of GET /api/v1/me/access-log. It returns the checkpoint's
// verdict and, per entry, whether its proof holds against that checkpoint.
export async function verifyAccessLog(log) {
  const cp = log.checkpoint || {};
  const checkpoint = await verifyCheckpoint(cp);
  const root = fromB64(cp.root || '');
  const entries = [];
  for (const it of log.items || []) {
    let ok = false;
    try {
      ok = await verifyInclusion(Number(it.index), Number(cp.tree_size), fromB64(it.leaf || ''),
        (it.inclusion_proof || []).map(fromB64), root);
    } catch {
      ok = false;
    }
    entries.push(ok && checkpoint.ok);
  }
  return { checkpoint, entries };
}
