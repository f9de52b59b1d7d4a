// The four digests of FORMATS.md, as incremental hashers, and the streaming
// hash of a File or Blob (never read whole: 4 MiB slices, one at a time).
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { sha3_256 } from '@noble/hashes/sha3.js';
import { sm3 } from './sm3.js';

const HASHERS = { 1: sha256, 2: sha3_256, 3: sm3, 4: sha512 };

// digestOf(alg): the one-shot function (with .create() for streaming).
export function digestOf(alg) {
  const h = HASHERS[alg];
  if (h === undefined) throw new Error(`unknown digest_alg ${alg}`);
  return h;
}

export const SLICE = 4 * 1024 * 1024;

// Hashes blob under alg, reading SLICE bytes at a time. onProgress(done,
// total) after each slice; signal (AbortSignal) stops it.
export async function hashBlob(blob, alg, onProgress, signal) {
  const h = digestOf(alg).create();
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
