// The receipt verifier of the page: FORMATS.md "Verifying a receipt" (version
// 1) and "Verifying a version 2 receipt", step for step as core/receipt.c and
// core/receipt_v2.c do it, with their messages, so that the page and
// `notary verify` give the same verdict on every input. Pure functions, no
// DOM: the page bundles this module and test/agree.test.mjs runs it under
// node against the real CLI.
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { parse, isObject, plain, JsonError } from './json.js';
import {
  VerifyError, bad, hex, hexDecode, H, TH, eq, u8, u64, chainIdValid, str8uValid, pubkeyValid,
  schnorrVerify, decodeRecord, decodeHeader, decodeCommit, decodeValset, commitVerify, commitTime,
  valsetHashV1, valsetHashV2, valsetBytes, inclusionVerify, timeParse, timeFormat, DIGESTS,
  RECORD_MAX, HEADER_MAX, COMMIT_MAX, VALSET_BYTES_MAX, PROOF_MAX, META_MAX, MAX_VALIDATORS,
  CHAIN_ID_MAX,
} from './codec.js';
import { digestOf } from './digest.js';

export { VerifyError };
export const RECEIPT_V1_TEXT_MAX = 256 * 1024;
export const RECEIPT_V2_TEXT_MAX = 8 * 1024 * 1024;
export const GENESIS_TEXT_MAX = 1024 * 1024;
const FORMAT_1 = 'notary-receipt/1';
const FORMAT_2 = 'notary-receipt/2';

const enc = new TextEncoder();
const byteLen = (s) => enc.encode(s).length;

function toText(input) {
  if (typeof input === 'string') return input;
  // jansson refuses invalid UTF-8; so does this.
  return new TextDecoder('utf-8', { fatal: true }).decode(input);
}

// ---- genesis (core/genesis.c nt_genesis_parse) ----

export function fingerprint(genesisHash) {
  const h = hex(genesisHash.subarray(0, 16));
  return [0, 8, 16, 24].map((i) => h.slice(i, i + 8)).join('-');
}

export function readGenesis(input) {
  const len = typeof input === 'string' ? byteLen(input) : input.length;
  if (len > GENESIS_TEXT_MAX)
    bad(`genesis file is larger than ${GENESIS_TEXT_MAX} bytes`, `创世文件大于 ${GENESIS_TEXT_MAX} 字节`);
  let root;
  try {
    root = parse(toText(input));
  } catch (e) {
    bad(`genesis is not valid JSON (${e instanceof JsonError ? e.message : 'invalid UTF-8'})`,
      '创世文件不是有效的 JSON（文件损坏或选错了文件？）');
  }
  if (!isObject(root)) bad('genesis is not a JSON object', '创世文件不是 JSON 对象');
  const g = { version: 1 };
  if ('format' in root) {
    if (root.format === 'notary-genesis/2') g.version = 2;
    else if (root.format !== 'notary-genesis/1')
      bad('genesis format is not "notary-genesis/1" or "notary-genesis/2"');
  }
  const cid = root.chain_id;
  if (typeof cid !== 'string') bad('genesis has no chain_id string');
  if (!chainIdValid(cid)) bad(`genesis chain_id is not 1..${CHAIN_ID_MAX} characters of [a-z0-9._-]`);
  g.chain_id = cid;
  if (typeof root.genesis_time !== 'string') bad('genesis has no genesis_time string');
  g.genesis_time = timeParse(root.genesis_time);
  if (g.genesis_time === null)
    bad('genesis_time is not a UTC time like 2026-11-29T00:00:00.000Z');
  const vals = root.validators;
  if (!Array.isArray(vals)) bad('genesis has no validators array');
  if (vals.length < 1 || vals.length > MAX_VALIDATORS)
    bad(`genesis lists ${vals.length} validators (must be 1..${MAX_VALIDATORS})`);
  const set = { keys: [], names: [], nameBytes: [] };
  vals.forEach((v, i) => {
    if (!isObject(v)) bad(`genesis validator ${i} is not an object`);
    const name = v.name;
    if (g.version === 2 && typeof name !== 'string')
      bad(`genesis validator ${i} has no name string (required in notary-genesis/2)`);
    let nb = new Uint8Array(0);
    if (name !== undefined) {
      if (typeof name !== 'string') bad(`genesis validator ${i} name is not a string`);
      nb = utf8ToBytes(name);
      if (g.version !== 2 && nb.length > 64) bad(`genesis validator ${i} name is longer than 64 bytes`);
      if (g.version === 2 && !str8uValid(nb))
        bad(`genesis validator ${i} name is not 1..255 bytes of UTF-8 without control characters`);
    }
    if (typeof v.pubkey !== 'string') bad(`genesis validator ${i} has no pubkey string`);
    const k = v.pubkey.length === 64 ? hexDecode(v.pubkey, 32) : 'decode';
    if (typeof k === 'string') bad(`genesis validator ${i} pubkey is not 64 hex digits`);
    if (!pubkeyValid(k)) bad(`genesis validator ${i} pubkey is not a valid x-only key`);
    for (let j = 0; j < i; j++)
      if (eq(set.keys[j], k)) bad(`genesis validators ${j} and ${i} have the same pubkey`);
    set.keys.push(k);
    set.nameBytes.push(nb);
    set.names.push(name === undefined ? '' : name);
  });
  g.vals = set;
  if (g.version === 2) {
    const cb = utf8ToBytes(cid);
    g.genesis_hash = TH('notary/genesis', u8(2), u8(cb.length), cb, u64(g.genesis_time),
      valsetBytes(set));
    g.validators_hash = valsetHashV2(set);
    g.fingerprint = fingerprint(g.genesis_hash);
  } else {
    g.validators_hash = valsetHashV1(set);
    g.fingerprint = '';
  }
  return g;
}

// ---- receipts (core/receipt.c nt_receipt_parse) ----

function getString(root, key) {
  if (!(key in root)) bad(`receipt has no "${key}" member`);
  if (typeof root[key] !== 'string') bad(`receipt "${key}" is not a string`);
  return root[key];
}

function getHex(root, key, cap) {
  const b = hexDecode(getString(root, key), cap);
  if (b === 'range') bad(`receipt "${key}" is longer than ${cap} bytes`);
  if (b === 'decode') bad(`receipt "${key}" is not hex`);
  return b;
}

function getHash(v, what) {
  const b = typeof v === 'string' && byteLen(v) === 64 ? hexDecode(v, 32) : 'decode';
  if (typeof b === 'string') bad(`receipt ${what} is not 64 hex digits`);
  return b;
}

function getUint(root, key) {
  if (!(key in root)) bad(`receipt has no "${key}" member`);
  const v = root[key];
  if (typeof v !== 'bigint' || v < 0n) bad(`receipt "${key}" is not a non-negative integer`);
  return v;
}

function parseChange(v, i) {
  if (!isObject(v)) bad(`receipt valset_changes[${i}] is not an object`);
  const { header: hs, commit: cs, next_validators: ns } = v;
  if (typeof hs !== 'string' || typeof cs !== 'string' || typeof ns !== 'string')
    bad(`receipt valset_changes[${i}] needs header, commit and next_validators hex strings`);
  const c = {};
  const sub = (fn, b) => {
    try {
      return fn(b);
    } catch (e) {
      if (e instanceof VerifyError) bad(`valset change ${i}: ${e.message}`);
      throw e;
    }
  };
  c.header_bytes = hexDecode(hs, HEADER_MAX);
  if (typeof c.header_bytes === 'string')
    bad(`receipt valset_changes[${i}] header is not hex of at most ${HEADER_MAX} bytes`);
  c.header = sub(decodeHeader, c.header_bytes);
  const cb = hexDecode(cs, COMMIT_MAX);
  if (typeof cb === 'string')
    bad(`receipt valset_changes[${i}] commit is not hex of at most ${COMMIT_MAX} bytes`);
  c.commit = sub(decodeCommit, cb);
  c.next_validators = hexDecode(ns, Infinity);
  if (typeof c.next_validators === 'string')
    bad(`receipt valset_changes[${i}] next_validators is not hex`);
  if (c.header.version !== 2)
    bad(`valset change ${i}: header version ${c.header.version} (a change block is version 2)`);
  return c;
}

// Reads a receipt (text or UTF-8 bytes). Throws VerifyError; err.notJson
// marks text that is not JSON at all (the CLI's "damaged or truncated?").
export function readReceipt(input) {
  const len = typeof input === 'string' ? byteLen(input) : input.length;
  if (len > RECEIPT_V2_TEXT_MAX)
    bad(`receipt is ${len} bytes, more than ${RECEIPT_V2_TEXT_MAX} allowed`,
      `收据有 ${len} 字节，超过上限 ${RECEIPT_V2_TEXT_MAX}`);
  let text;
  try {
    text = toText(input);
  } catch {
    const e = new VerifyError('the receipt is not JSON (damaged or truncated?): invalid UTF-8',
      '收据不是 JSON（文件损坏、不完整或选错了文件？）');
    e.notJson = true;
    throw e;
  }
  let root;
  try {
    root = parse(text);
  } catch (err) {
    let dupOnly = false;
    try {
      parse(text, { duplicates: true });
      dupOnly = true;
    } catch { /* not JSON at all */ }
    if (dupOnly) bad(`receipt is not valid JSON (${err.message})`, '收据的 JSON 中有重复的成员名');
    const e = new VerifyError(`the receipt is not JSON (damaged or truncated?): ${err.message}`,
      '收据不是 JSON（文件损坏、不完整或选错了文件？）');
    e.notJson = true;
    throw e;
  }
  const r = {};
  if (isObject(root) && root.format === FORMAT_2) {
    const ch = root.valset_changes;
    if (!Array.isArray(ch))
      bad(`receipt has no "valset_changes" array (a ${FORMAT_2} receipt lists every set change, [] for none)`,
        '第 2 版收据缺少 valset_changes 列表');
    if (ch.length > 1024) bad(`receipt lists ${ch.length} valset changes, more than 1024`);
    ch.forEach((v, i) => {
      const nv = isObject(v) ? v.next_validators : undefined;
      const l = typeof nv === 'string' ? Math.floor(byteLen(nv) / 2) : 0;
      if (l > VALSET_BYTES_MAX)
        bad(`receipt valset_changes[${i}] next_validators is longer than ${VALSET_BYTES_MAX} bytes`);
    });
  }
  if (!isObject(root)) bad('receipt is not a JSON object', '收据不是 JSON 对象');
  const fmt = getString(root, 'format');
  if (fmt === FORMAT_1) r.format = 1;
  else if (fmt === FORMAT_2) r.format = 2;
  else bad(`receipt format is not "${FORMAT_1}" or "${FORMAT_2}"`,
    `收据格式不是 "${FORMAT_1}" 或 "${FORMAT_2}"`);
  if (r.format === 1 && len > RECEIPT_V1_TEXT_MAX)
    bad(`receipt is ${len} bytes, more than ${RECEIPT_V1_TEXT_MAX} allowed`);
  r.chain_id = getString(root, 'chain_id');
  if (!chainIdValid(r.chain_id)) bad('receipt chain_id is not a valid chain id');
  if (r.format === 2) r.genesis_hash = getHash(root.genesis_hash, 'genesis_hash');
  r.record_bytes = getHex(root, 'record', RECORD_MAX);
  r.record = decodeRecord(r.record_bytes);
  if (r.format === 1 && r.record.version !== 1)
    bad(`record version ${r.record.version} in a ${FORMAT_1} receipt`);
  r.record_id = getHash(root.record_id, 'record_id');
  r.height = getUint(root, 'height');
  r.leaf_index = getUint(root, 'leaf_index');
  if (!Array.isArray(root.proof)) bad('receipt has no "proof" array');
  if (root.proof.length > PROOF_MAX)
    bad(`receipt proof has ${root.proof.length} hashes, more than ${PROOF_MAX}`);
  r.proof = root.proof.map((p) => getHash(p, 'proof entry'));
  r.header_bytes = getHex(root, 'header', HEADER_MAX);
  r.header = decodeHeader(r.header_bytes);
  if (r.format === 1 && r.header.version !== 1)
    bad(`header version ${r.header.version} in a ${FORMAT_1} receipt`);
  if (r.format === 2 && r.header.version !== 2)
    bad(`header version ${r.header.version} in a ${FORMAT_2} receipt (it needs a version 2 header)`,
      `第 2 版收据中的区块头是第 ${r.header.version} 版（必须是第 2 版）`);
  r.commit_bytes = getHex(root, 'commit', COMMIT_MAX);
  r.commit = decodeCommit(r.commit_bytes);
  r.changes = [];
  if (r.format === 1) return r;
  if ('salt' in root) r.salt = getHash(root.salt, 'salt');
  if ('meta' in root) {
    if (typeof root.meta !== 'string') bad('receipt "meta" is not a string');
    const mb = utf8ToBytes(root.meta);
    if (mb.length > META_MAX) bad(`receipt "meta" is ${mb.length} bytes, more than ${META_MAX}`);
    r.meta_bytes = mb;
    r.meta_text = root.meta;
  }
  r.changes = root.valset_changes.map(parseChange);
  return r;
}

// The record's digest algorithm: what the file must be hashed with.
export function digestAlg(r) {
  return { alg: r.record.alg, name: DIGESTS[r.record.alg].name };
}

// ---- verifying (core/receipt.c ntr_verify_v1, core/receipt_v2.c) ----

function checkInclusion(r) {
  const id = H(u8(0), r.record_bytes);
  if (!eq(id, r.record_id)) bad('record_id does not match the record',
    '记录编号（record_id）与记录内容不符');
  if (r.height !== r.header.height)
    bad(`receipt height ${r.height} differs from the header height ${r.header.height}`,
      `收据的区块高度 ${r.height} 与区块头的高度 ${r.header.height} 不同`);
  const n = BigInt(r.header.record_count);
  if (r.leaf_index >= n)
    bad(`leaf_index ${r.leaf_index} is outside the block's ${n} records`,
      `叶子序号 ${r.leaf_index} 超出区块的 ${n} 条记录`);
  const why = inclusionVerify(id, r.leaf_index, n, r.proof, r.header.records_root);
  if (why !== null)
    bad(`${why} (record as leaf ${r.leaf_index} of the block's ${n} records)`,
      `包含证明（Merkle 证明）不成立：${why}（记录是区块 ${n} 条记录中的第 ${r.leaf_index} 个叶子）`);
}

function checkChainId(r, g) {
  if (r.header.chain_id !== g.chain_id)
    bad(`header chain_id '${r.header.chain_id}' differs from the genesis chain_id '${g.chain_id}'`,
      `区块头的网络名 '${r.header.chain_id}' 与创世文件的网络名 '${g.chain_id}' 不同：收据属于另一个网络`);
  if (r.chain_id !== g.chain_id)
    bad(`receipt chain_id '${r.chain_id}' differs from the genesis chain_id '${g.chain_id}'`,
      `收据的网络名 '${r.chain_id}' 与创世文件的网络名 '${g.chain_id}' 不同`);
}

function checkCommit(c, hb, h, set, what, whatZh) {
  if (c.height !== h.height)
    bad(`${what}: it is for height ${c.height}, the header is height ${h.height}`,
      `${whatZh}：它属于高度 ${c.height}，区块头的高度是 ${h.height}`);
  if (!eq(H(hb), c.block_hash))
    bad(`${what}: it is for another block (its block_hash is not H(header))`,
      `${whatZh}：它签的是另一个区块（block_hash 不是该区块头的哈希）`);
  try {
    commitVerify(c, h.chain_id, set);
  } catch (e) {
    if (e instanceof VerifyError) bad(`${what}: ${e.message}`, `${whatZh}：${e.zh || e.message}`);
    throw e;
  }
}

function verifyV1(r, g, fd, v) {
  const rec = r.record;
  const body = r.record_bytes.subarray(0, r.record_bytes.length - 64);
  if (!schnorrVerify(rec.submitter, TH('notary/record', body), rec.sig))
    bad('the submitter signature on the record is invalid', '记录上提交者的签名无效（记录被改动过）');
  if (fd !== null && (fd.length !== rec.digest.length || !eq(fd, rec.digest)))
    bad(`the file's ${DIGESTS[rec.alg].name} digest does not match the record`,
      `文件的 ${DIGESTS[rec.alg].name} 摘要与记录不符：这不是被公证的那个文件（或文件已被改动）`);
  checkInclusion(r);
  checkChainId(r, g);
  if (!eq(valsetHashV1(g.vals), r.header.validators_hash))
    bad('header validators_hash differs from the genesis validators',
      '区块头的 validators_hash 与创世文件的验证节点不符');
  if (r.commit.height !== r.header.height)
    bad(`commit is for height ${r.commit.height}, the header is height ${r.header.height}`,
      `提交证书属于高度 ${r.commit.height}，区块头的高度是 ${r.header.height}`);
  if (!eq(H(r.header_bytes), r.commit.block_hash))
    bad('commit is for another block (its block_hash is not H(header))',
      '提交证书签的是另一个区块（block_hash 不是该区块头的哈希）');
  try {
    commitVerify(r.commit, g.chain_id, g.vals);
  } catch (e) {
    throw e;
  }
  v.set = g.vals;
}

function checkRecordV2(r, fd, v) {
  const rec = r.record;
  const body = r.record_bytes.subarray(0, r.record_bytes.length - 64);
  if (!schnorrVerify(rec.submitter, TH('notary/record', body), rec.sig))
    bad('record: the submitter signature on the record is invalid',
      '记录：提交者的签名无效（记录被改动过）');
  v.salted = (rec.flags & 1) !== 0;
  v.meta_committed = (rec.flags & 2) !== 0;
  const alg = DIGESTS[rec.alg].name;
  if (fd !== null) {
    if (fd.length !== rec.digest.length)
      bad(`file: digest does not match the record (${fd.length} bytes, the record's ${alg} digest has ${rec.digest.length})`);
    let want = fd;
    if (v.salted) {
      if (r.salt === undefined)
        bad('private record: the digest is salted and the receipt has no 32-byte salt, so the file cannot be checked',
          '私密记录：摘要加了盐，而收据中没有 32 字节的盐，无法核对文件');
      const h = digestOf(rec.alg);
      want = h(new Uint8Array([...r.salt, ...fd]));
    }
    if (!eq(want, rec.digest))
      bad(v.salted
        ? `file: digest does not match the record (the file's ${alg} digest salted with the receipt's salt differs: another file or a wrong salt)`
        : `file: digest does not match the record (the file's ${alg} digest differs)`,
      v.salted
        ? `文件：摘要与记录不符（文件的 ${alg} 摘要加上收据中的盐后不同：另一个文件，或盐不对）`
        : `文件：摘要与记录不符（文件的 ${alg} 摘要不同）：这不是被公证的那个文件，或文件已被改动`);
  }
  if (r.meta_bytes !== undefined) {
    if (!v.meta_committed)
      bad('receipt carries a clear "meta" but the record\'s meta is not committed (only a private record\'s receipt has one)',
        '收据带有明文 meta，但记录的元数据并未承诺（只有私密记录的收据才有）');
    if (r.salt === undefined)
      bad('private record: receipt has no 32-byte salt to check the clear meta against its commitment',
        '私密记录：收据中没有 32 字节的盐，无法核对明文元数据');
    const mc = TH('notary/meta', r.salt, r.meta_bytes);
    if (rec.meta.length !== 32 || !eq(mc, rec.meta))
      bad('private record: meta does not match its commitment (the clear meta or the salt is not the one the submitter signed)',
        '私密记录：明文元数据与其承诺不符（明文元数据或盐不是提交者签名时的那一个）');
    v.meta_disclosed = true;
  }
}

function walkChanges(r, g, v) {
  let prev = 0n;
  let s = g.vals;
  r.changes.forEach((c, i) => {
    const h = c.header;
    if (h.version !== 2) bad(`valset change ${i}: header version ${h.version}, not 2`);
    if (h.height <= prev || h.height >= r.header.height)
      bad(`valset change ${i}: heights not increasing below the receipt's (height ${h.height} after ${prev}, receipt at ${r.header.height})`,
        `验证节点集变更 ${i}：高度没有在收据高度之下递增（高度 ${h.height}，前一个 ${prev}，收据在 ${r.header.height}）`);
    if (h.chain_id !== g.chain_id)
      bad(`valset change ${i}: header chain_id '${h.chain_id}' differs from the genesis chain_id '${g.chain_id}'`,
        `验证节点集变更 ${i}：区块头的网络名 '${h.chain_id}' 与创世文件的 '${g.chain_id}' 不同`);
    if (!eq(h.genesis_hash, g.genesis_hash))
      bad(`valset change ${i}: genesis_hash differs from the genesis file's`,
        `验证节点集变更 ${i}：genesis_hash 与创世文件的不同`);
    if (!eq(h.validators_hash, valsetHashV2(s)))
      bad(`valset change ${i} (height ${h.height}): validators_hash is not the current set's (missing or reordered change?)`,
        `验证节点集变更 ${i}（高度 ${h.height}）：validators_hash 不是当前节点集的（缺了或调换了某次变更？）`);
    let next;
    try {
      next = decodeValset(c.next_validators);
    } catch (e) {
      if (e instanceof VerifyError) bad(`valset change ${i}: next_validators: ${e.message}`);
      throw e;
    }
    if (!eq(valsetHashV2(next), h.next_validators_hash))
      bad(`valset change ${i} (height ${h.height}): next_validators do not match next_validators_hash`,
        `验证节点集变更 ${i}（高度 ${h.height}）：新节点集与 next_validators_hash 不符`);
    if (eq(h.next_validators_hash, h.validators_hash))
      bad(`valset change ${i} (height ${h.height}): not a change block (next_validators_hash equals validators_hash)`,
        `验证节点集变更 ${i}（高度 ${h.height}）：不是变更区块（next_validators_hash 等于 validators_hash）`);
    checkCommit(c.commit, c.header_bytes, h, s, `valset change ${i}: commit`,
      `验证节点集变更 ${i} 的提交证书`);
    s = next;
    prev = h.height;
  });
  return s;
}

function verifyV2(r, g, fd, v) {
  checkRecordV2(r, fd, v);
  checkInclusion(r);
  checkChainId(r, g);
  const mine = g.fingerprint;
  const theirs = fingerprint(r.header.genesis_hash);
  if (!eq(r.header.genesis_hash, g.genesis_hash))
    bad(`genesis_hash differs: the receipt belongs to another network (fingerprint ${theirs}, genesis file's ${mine})`,
      `genesis_hash 不同：收据属于另一个网络（收据的指纹 ${theirs}，创世文件的指纹 ${mine}）`);
  if (!eq(r.genesis_hash, r.header.genesis_hash))
    bad("receipt genesis_hash member differs from its header's", '收据的 genesis_hash 成员与其区块头的不同');
  v.set = walkChanges(r, g, v);
  v.changes = r.changes.length;
  if (!eq(valsetHashV2(v.set), r.header.validators_hash))
    bad(`header validators_hash is not the set reached from the genesis through the receipt's ${r.changes.length} valset_changes (a change missing, or a set the genesis file never led to)`,
      `区块头的 validators_hash 不是从创世节点集经收据中 ${r.changes.length} 次变更得到的节点集（缺少变更，或这个节点集并非由创世文件而来）`);
  checkCommit(r.commit, r.header_bytes, r.header, v.set, 'commit', '提交证书');
}

// nt_receipt_verify_full. fd: the file's digest under the record's
// algorithm, or null. Throws VerifyError; returns what was established.
export function checkReceipt(r, g, fd) {
  const format = r.format === 2 ? 2 : 1;
  if (format === 2 && g.version !== 2)
    bad(`genesis: not notary-genesis/2: a ${FORMAT_2} receipt needs a version 2 genesis file (with "format": "notary-genesis/2"), this one is version 1`,
      '创世文件：不是 notary-genesis/2。第 2 版收据需要第 2 版创世文件（含 "format": "notary-genesis/2"），这个是第 1 版');
  if (format === 1 && g.version === 2)
    bad(`genesis: a ${FORMAT_1} receipt needs a version 1 genesis file, this one is notary-genesis/2 (fingerprint ${g.fingerprint})`,
      `创世文件：第 1 版收据需要第 1 版创世文件，这个是 notary-genesis/2（指纹 ${g.fingerprint}）`);
  const v = { format, salted: false, meta_committed: false, meta_disclosed: false, changes: 0 };
  if (format === 1) verifyV1(r, g, fd, v);
  else verifyV2(r, g, fd, v);
  return v;
}

// The metadata the verdict shows (tools/cmd_verify.c): a private record's
// clear meta when it matched, else the record's own meta; {} otherwise.
function shownMeta(r, v) {
  let text = null;
  if (v.meta_disclosed) text = r.meta_text;
  else if (!v.meta_committed && r.record.meta.length > 0)
    text = new TextDecoder().decode(r.record.meta);
  if (text === null) return {};
  try {
    const m = parse(text, { duplicates: true });
    return isObject(m) ? plain(m) : {};
  } catch {
    return {};
  }
}

// The verdict, with the members and values of `notary verify --json`.
export function verdict(r, g, v, file) {
  const rec = r.record;
  const set = v.set;
  const signers = r.commit.sigs.filter((s) => s.index < set.keys.length).map((s) => ({
    index: s.index,
    name: set.names[s.index] !== '' ? set.names[s.index] : `validator ${s.index}`,
    pubkey: hex(set.keys[s.index]),
    timestamp: timeFormat(s.timestamp),
  }));
  const t = commitTime(r.commit);
  const out = {
    valid: true,
    why: null,
    chain_id: r.header.chain_id,
    height: plain(r.height),
    time: timeFormat(t),
    time_ms: Number(t),
    signatures: r.commit.count,
    validators: set.keys.length,
    signers,
    submitter: hex(rec.submitter),
    client_time: timeFormat(rec.client_time),
    digest_alg: DIGESTS[rec.alg].name,
    digest: hex(rec.digest),
    size: plain(rec.size),
    meta: shownMeta(r, v),
    format: v.format,
  };
  if (g.version === 2) {
    out.fingerprint = g.fingerprint;
    out.valset_changes = v.changes;
  }
  Object.assign(out, {
    private: (v.salted ? 1 : 0) | (v.meta_committed ? 2 : 0),
    salted_digest: v.salted,
    meta_committed: v.meta_committed,
    meta_matched_commitment: v.meta_disclosed,
    record_id: hex(r.record_id),
    block_hash: hex(H(r.header_bytes)),
    file_checked: file != null,
  });
  if (file != null) {
    out.file = file.name;
    out.file_size = file.size;
  }
  return out;
}

export function invalid(err, r, g) {
  const out = { valid: false, why: err.message, why_zh: err.zh };
  if (err.notJson) out.not_json = true;
  if (r) out.record_id = hex(r.record_id);
  if (g && g.version === 2) out.fingerprint = g.fingerprint;
  return out;
}

// One call for a whole check, as `notary verify --json` does it:
// genesisText and receiptText (strings or UTF-8 bytes); fileDigest the
// file's digest under the record's algorithm (see digestAlg) or null; file
// {name, size} or null. A genesis file that cannot be used is reported
// with genesis_error set (the CLI's exit code 2).
export function verifyTexts({ genesisText, receiptText, fileDigest = null, file = null }) {
  let g;
  try {
    g = readGenesis(genesisText);
  } catch (e) {
    if (!(e instanceof VerifyError)) throw e;
    const out = invalid(new VerifyError(`cannot use the genesis file: ${e.message}`,
      `无法使用创世文件：${e.zh || e.message}`));
    out.genesis_error = true;
    return out;
  }
  let r;
  try {
    r = readReceipt(receiptText);
  } catch (e) {
    if (!(e instanceof VerifyError)) throw e;
    if (e.notJson) return invalid(e, null, g);
    return invalid(new VerifyError(`the receipt is malformed: ${e.message}`,
      `收据格式有误：${e.zh || e.message}`), null, g);
  }
  try {
    const v = checkReceipt(r, g, fileDigest);
    return verdict(r, g, v, file);
  } catch (e) {
    if (!(e instanceof VerifyError)) throw e;
    return invalid(e, r, g);
  }
}
