// The binary encodings of FORMATS.md (records, headers, commits, validator
// sets), decoded as strictly as core/record.c, core/header.c, core/commit.c
// and core/valset.c do, with the same messages.
import { sha256 } from '@noble/hashes/sha2.js';
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { parse, isObject, JsonError } from './json.js';

export class VerifyError extends Error {
  // en: the message, word for word as the C verifier says it;
  // zh: the same in Chinese (when missing, the page shows a Chinese lead-in
  // and the English detail).
  constructor(en, zh) {
    super(en);
    this.zh = zh || null;
  }
}
export const bad = (en, zh) => {
  throw new VerifyError(en, zh);
};

export const MAX_VALIDATORS = 128;
export const CHAIN_ID_MAX = 50;
export const META_MAX = 4096;
export const SIG_LEN = 64;
export const RECORD_MAX = 4 + 64 + 8 + 8 + 2 + META_MAX + 32 + 64;
export const HEADER_MAX = 1 + 1 + CHAIN_ID_MAX + 8 + 8 + 32 * 3 + 4 + 32 + 8 + 32 + 32 + 64;
export const COMMIT_MAX = 8 + 4 + 32 + 2 + MAX_VALIDATORS * (2 + 8 + 64);
export const VALSET_BYTES_MAX = 2 + MAX_VALIDATORS * (32 + 1 + 255);
export const PROOF_MAX = 64;

// 1 sha256 | 2 sha3-256 | 3 sm3 | 4 sha512
export const DIGESTS = {
  1: { name: 'sha256', len: 32 },
  2: { name: 'sha3-256', len: 32 },
  3: { name: 'sm3', len: 32 },
  4: { name: 'sha512', len: 64 },
};

export const hex = bytesToHex;
export const H = (...parts) => sha256(concatBytes(...parts));
const tagHashes = new Map();
export function TH(tag, ...parts) {
  let t = tagHashes.get(tag);
  if (t === undefined) tagHashes.set(tag, (t = sha256(utf8ToBytes(tag))));
  return sha256(concatBytes(t, t, ...parts));
}
export function eq(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

// base/hex.c: even length, at most cap bytes, then the digits (either case).
// Returns the bytes, 'range' or 'decode'.
export function hexDecode(s, cap) {
  if (s.length % 2 !== 0) return 'decode';
  if (s.length / 2 > cap) return 'range';
  if (!/^[0-9a-fA-F]*$/.test(s)) return 'decode';
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(2 * i, 2), 16);
  return out;
}

export const u8 = (n) => Uint8Array.of(n);
export const u16 = (n) => Uint8Array.of(n >>> 8, n & 0xff);
export const u32 = (n) => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
export function u64(n) {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
}

// base/codec.h's reader: a short read sets ok = false and yields zeros.
class Reader {
  constructor(buf) {
    this.b = buf;
    this.pos = 0;
    this.ok = true;
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  take(n) {
    if (!this.ok || this.b.length - this.pos < n) {
      this.ok = false;
      return null;
    }
    const v = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  bytes(n) {
    return this.take(n) ?? new Uint8Array(n);
  }
  u8() {
    const v = this.take(1);
    return v ? v[0] : 0;
  }
  u16() {
    const v = this.take(2);
    return v ? (v[0] << 8) | v[1] : 0;
  }
  u32() {
    const v = this.take(4);
    return v ? new DataView(v.buffer, v.byteOffset, 4).getUint32(0) : 0;
  }
  u64() {
    const v = this.take(8);
    return v ? new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0) : 0n;
  }
  done() {
    return this.ok && this.pos === this.b.length;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

// secp256k1_xonly_pubkey_parse: x below p and on the curve.
export function pubkeyValid(k) {
  try {
    schnorr.utils.lift_x(BigInt('0x' + hex(k)));
    return true;
  } catch {
    return false;
  }
}

export function schnorrVerify(pub, msg32, sig) {
  try {
    return schnorr.verify(sig, msg32, pub);
  } catch {
    return false;
  }
}

export function chainIdValid(s) {
  return typeof s === 'string' && /^[a-z0-9._-]{1,50}$/.test(s);
}

// core/valset.c nt_str8u_valid: 1..255 bytes of well-formed UTF-8 without
// C0, DEL or C1 control characters.
export function str8uValid(bytes) {
  if (bytes.length < 1 || bytes.length > 255) return false;
  let s;
  try {
    s = utf8.decode(bytes);
  } catch {
    return false;
  }
  for (const ch of s) {
    const cp = ch.codePointAt(0);
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return false;
  }
  return true;
}

// ---- records (core/record.c) ----

function metaCheck(meta) {
  if (meta.length === 0) return;
  if (meta.includes(0)) bad('record meta contains a NUL byte');
  let v;
  try {
    v = parse(utf8.decode(meta));
  } catch (e) {
    bad(`record meta is not valid JSON: ${e instanceof JsonError ? e.message : 'invalid UTF-8'}`);
  }
  if (!isObject(v)) bad('record meta is not a JSON object');
}

export function decodeRecord(buf) {
  const rd = new Reader(buf);
  const r = { version: rd.u8(), flags: 0 };
  if (r.version === 2) r.flags = rd.u8();
  r.alg = rd.u8();
  r.digest_len = rd.u8();
  if (!rd.ok) bad(`record is truncated (${buf.length} bytes)`);
  if (r.version !== 1 && r.version !== 2)
    bad(`record version ${r.version} is not supported (expected 1 or 2)`);
  if (r.flags & ~3)
    bad(`record flags 0x${r.flags.toString(16).padStart(2, '0')} set unknown bits (only bits 0 and 1 are defined)`);
  const d = DIGESTS[r.alg];
  if (d === undefined) bad(`record digest_alg ${r.alg} is unknown`);
  if (r.digest_len !== d.len)
    bad(`record digest_len ${r.digest_len} does not match ${d.name} (${d.len})`);
  r.digest = rd.bytes(r.digest_len);
  r.size = rd.u64();
  r.client_time = rd.u64();
  const ml = rd.u16();
  if (rd.ok && ml > META_MAX) bad(`record meta is ${ml} bytes, more than ${META_MAX}`);
  r.meta = rd.bytes(ml);
  r.submitter = rd.bytes(32);
  r.sig = rd.bytes(64);
  if (!rd.ok) bad(`record is truncated (${buf.length} bytes)`);
  if (!rd.done()) bad(`trailing bytes after record (${rd.pos} of ${buf.length} used)`);
  if (r.flags & 2) {
    if (r.meta.length !== 32) bad(`record meta is committed but is ${r.meta.length} bytes, not 32`);
  } else {
    metaCheck(r.meta);
  }
  return r;
}

// ---- headers (core/header.c) ----

export function decodeHeader(buf) {
  const rd = new Reader(buf);
  const h = { version: rd.u8() };
  if (rd.ok && h.version !== 1 && h.version !== 2)
    bad(`header version ${h.version} is not supported (expected 1 or 2)`);
  const cl = rd.u8();
  const cid = rd.take(cl);
  if (cid !== null) {
    const s = String.fromCharCode(...cid);
    if (!chainIdValid(s)) bad(`header chain_id is not 1..${CHAIN_ID_MAX} characters of [a-z0-9._-]`);
    h.chain_id = s;
  } else {
    h.chain_id = '';
  }
  h.height = rd.u64();
  h.time = rd.u64();
  h.prev_hash = rd.bytes(32);
  h.last_commit_hash = rd.bytes(32);
  h.records_root = rd.bytes(32);
  h.record_count = rd.u32();
  h.log_root = rd.bytes(32);
  h.log_size = rd.u64();
  if (h.version === 2) h.genesis_hash = rd.bytes(32);
  h.validators_hash = rd.bytes(32);
  if (h.version === 2) h.next_validators_hash = rd.bytes(32);
  h.proposer = rd.bytes(32);
  if (!rd.ok) bad(`header is truncated (${buf.length} bytes)`);
  if (!rd.done()) bad(`trailing bytes after header (${rd.pos} of ${buf.length} used)`);
  if (h.height < 1n) bad('header height is 0 (the first block is 1)');
  return h;
}

// ---- commits (core/commit.c) ----

export function decodeCommit(buf) {
  const rd = new Reader(buf);
  const c = { height: rd.u64(), round: rd.u32(), block_hash: rd.bytes(32), count: rd.u16(), sigs: [] };
  if (!rd.ok) bad(`commit is truncated (${buf.length} bytes)`);
  if (c.count > MAX_VALIDATORS) bad(`commit has ${c.count} signatures, more than ${MAX_VALIDATORS}`);
  for (let i = 0; i < c.count; i++)
    c.sigs.push({ index: rd.u16(), timestamp: rd.u64(), sig: rd.bytes(64) });
  if (!rd.ok) bad(`commit is truncated (${buf.length} bytes for ${c.count} signatures)`);
  if (!rd.done()) bad(`trailing bytes after commit (${rd.pos} of ${buf.length} used)`);
  return c;
}

export function voteSighash(type, chainId, height, round, blockHash, timestamp) {
  const cid = utf8ToBytes(chainId);
  return TH('notary/vote', u8(type), u8(cid.length), cid, u64(height), u32(round), blockHash,
    u64(timestamp));
}

// A set: { keys: [Uint8Array], names: [string], nameBytes: [Uint8Array] }.
export const quorum = (set) => Math.floor((2 * set.keys.length) / 3) + 1;

// Throws with the message of nt_commit_verify (no prefix).
export function commitVerify(c, chainId, set) {
  const n = set.keys.length;
  const q = quorum(set);
  if (c.count < q) bad(`commit below quorum (${c.count} of ${q} needed, ${n} validators)`,
    `提交证书签名不足法定数（需要 ${q} 个，只有 ${c.count} 个，共 ${n} 个验证节点）`);
  for (let i = 0; i < c.count; i++) {
    const idx = c.sigs[i].index;
    if (i > 0 && idx <= c.sigs[i - 1].index)
      bad(`commit validator indexes not strictly increasing (${idx} after ${c.sigs[i - 1].index})`,
        `提交证书中验证节点序号未严格递增（${c.sigs[i - 1].index} 之后是 ${idx}），同一节点不能计两次`);
    if (idx >= n) bad(`commit validator index ${idx} out of range (${n} validators)`,
      `提交证书中的验证节点序号 ${idx} 超出范围（共 ${n} 个）`);
  }
  for (const s of c.sigs) {
    const pk = set.keys[s.index];
    if (schnorrVerify(pk, voteSighash(2, chainId, c.height, c.round, c.block_hash, s.timestamp), s.sig))
      continue;
    if (schnorrVerify(pk, voteSighash(1, chainId, c.height, c.round, c.block_hash, s.timestamp), s.sig))
      bad(`commit signature of validator ${s.index} invalid: it signs a prevote, not a precommit`,
        `验证节点 ${s.index} 在提交证书上的签名无效：它签的是预投票，不是预提交`);
    bad(`commit signature of validator ${s.index} invalid`,
      `验证节点 ${s.index} 在提交证书上的签名无效（伪造或被篡改）`);
  }
}

// nt_commit_time: the median of the sorted timestamps, element count / 2.
export function commitTime(c) {
  if (c.count === 0) return 0n;
  const t = c.sigs.map((s) => s.timestamp).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return t[Math.floor(c.count / 2)];
}

// ---- validator sets (core/valset.c) ----

export function valsetHashV1(set) {
  return H(u16(set.keys.length), ...set.keys);
}

export function valsetBytes(set) {
  const parts = [u16(set.keys.length)];
  set.keys.forEach((k, i) => parts.push(k, u8(set.nameBytes[i].length), set.nameBytes[i]));
  return concatBytes(...parts);
}

export const valsetHashV2 = (set) => sha256(valsetBytes(set));

export function decodeValset(buf) {
  const rd = new Reader(buf);
  const n = rd.u16();
  if (!rd.ok) bad(`validator set is truncated (${buf.length} bytes)`);
  if (n < 1 || n > MAX_VALIDATORS)
    bad(`validator set has ${n} entries (must be 1..${MAX_VALIDATORS})`);
  const set = { keys: [], names: [], nameBytes: [] };
  for (let i = 0; i < n; i++) {
    const key = rd.bytes(32);
    const nl = rd.u8();
    const name = rd.take(nl);
    if (!rd.ok) bad(`validator set is truncated (${buf.length} bytes)`);
    if (!pubkeyValid(key)) bad(`validator ${i} of the set is not a valid x-only key`);
    for (let j = 0; j < i; j++)
      if (eq(set.keys[j], key)) bad(`validators ${j} and ${i} of the set have the same key`);
    if (!str8uValid(name))
      bad(`validator ${i} name is not 1..255 bytes of UTF-8 without control characters`);
    set.keys.push(key.slice());
    set.nameBytes.push(name.slice());
    set.names.push(utf8.decode(name));
  }
  if (!rd.done()) bad(`trailing bytes after the validator set (${rd.pos} of ${buf.length} used)`);
  return set;
}

// ---- Merkle (core/merkle.c, RFC 9162 2.1.3.2) ----

export function inclusionVerify(leaf, index, size, proof, root) {
  if (index >= size) return 'leaf index out of range';
  let fn = index;
  let sn = size - 1n;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) return 'inclusion proof too long';
    if ((fn & 1n) === 1n || fn === sn) {
      r = H(u8(1), p, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = H(u8(1), r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) return 'inclusion proof too short';
  if (!eq(r, root)) return 'inclusion proof does not reach the root';
  return null;
}

// ---- times (core/genesis.c) ----

const TIME_MAX_MS = 253402300799999n;

export function timeParse(s) {
  if (typeof s !== 'string') return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{3}))?Z$/.exec(s);
  if (m === null) return null;
  const [Y, M, D, h, mi, sec] = m.slice(1, 7).map(Number);
  const ms = m[7] === undefined ? 0 : Number(m[7]);
  if (Y < 1970 || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || mi > 59 || sec > 59) return null;
  const d = new Date(Date.UTC(Y, M - 1, D, h, mi, sec));
  if (d.getUTCDate() !== D || d.getUTCMonth() !== M - 1) return null;
  return BigInt(d.getTime()) + BigInt(ms);
}

export function timeFormat(ms) {
  if (ms > TIME_MAX_MS) return '(time out of range)';
  return new Date(Number(ms)).toISOString();
}
