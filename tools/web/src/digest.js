// The four digests of FORMATS.md, and the streaming hash of a File or Blob
// (never read whole: 4 MiB slices, one at a time).
//
// sha256, sha512 and sha3-256 come from @noble/hashes (audited, the package
// @noble/curves' BIP-340 already uses). SM3 comes from hash-wasm's createSM3(),
// an incremental SM3 compiled to WebAssembly; the WebAssembly is inside the
// package's JavaScript, so the bundled page still makes no request (its
// Content-Security-Policy allows 'wasm-unsafe-eval' for it). Setting up a
// WebAssembly instance is asynchronous: hasher() is async, and digestOf(3)
// works once digestsReady() has resolved (hashBlob() awaits it).
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { sha3_256 } from '@noble/hashes/sha3.js';
import { createSM3 } from 'hash-wasm';

const NOBLE = { 1: sha256, 2: sha3_256, 4: sha512 };
const SM3 = 3;

async function newSM3() {
  try {
    return (await createSM3()).init();
  } catch (e) {
    throw new Error(`SM3 needs WebAssembly, which this browser did not allow (${e.message})`);
  }
}

// One SM3 instance for the one-shot digestOf(3): synchronous use only, never
// across an await.
let sm3Once = null;
let sm3Ready = null;
export function digestsReady() {
  sm3Ready ||= newSM3().then((h) => { sm3Once = h; }, (e) => { sm3Ready = null; throw e; });
  return sm3Ready;
}

const sm3 = (data) => {
  if (sm3Once === null) throw new Error('SM3 is not set up yet (await digestsReady())');
  return sm3Once.init().update(data).digest('binary');
};

// digestOf(alg): the one-shot function, bytes -> digest bytes.
export function digestOf(alg) {
  if (Number(alg) === SM3) return sm3;
  const h = NOBLE[alg];
  if (h === undefined) throw new Error(`unknown digest_alg ${alg}`);
  return h;
}

// hasher(alg): a new incremental hasher of its own, { update(bytes), digest() }.
export async function hasher(alg) {
  if (Number(alg) === SM3) {
    const h = await newSM3();
    return { update(d) { h.update(d); return this; }, digest: () => h.digest('binary') };
  }
  const h = digestOf(alg).create();
  return { update(d) { h.update(d); return this; }, digest: () => h.digest() };
}

export const SLICE = 4 * 1024 * 1024;

// Hashes blob under alg, reading SLICE bytes at a time. onProgress(done,
// total) after each slice; signal (AbortSignal) stops it.
export async function hashBlob(blob, alg, onProgress, signal) {
  if (Number(alg) === SM3) await digestsReady(); // the salted digest of a private record
  const h = await hasher(alg);
  const total = blob.size;
  for (let off = 0; off < total; off += SLICE) {
    if (signal && signal.aborted) throw new DOMException('stopped', 'AbortError');
    const buf = await blob.slice(off, Math.min(off + SLICE, total)).arrayBuffer();
    h.update(new Uint8Array(buf));
    if (onProgress) onProgress(Math.min(off + SLICE, total), total);
  }
  if (total === 0 && onProgress) onProgress(0, 0);
  return h.digest();
}
