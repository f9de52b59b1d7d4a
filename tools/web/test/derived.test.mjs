// Agreement beyond the vectors: receipts and genesis files derived from
// tests/vectors/ by one change each (odd encodings, wrong versions, JSON that
// jansson refuses), checked by the page's verifier and by build/notary verify.
// Where the CLI says "unreadable" (exit 2), the page must say INVALID.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyTexts, readReceipt, digestAlg } from '../src/verify.js';
import { digestOf, digestsReady } from '../src/digest.js';

await digestsReady();

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const VEC = process.env.NT_VECTORS || join(ROOT, 'tests/vectors');
const CLI = join(process.env.NT_BUILD || join(ROOT, 'build'), 'notary');
const tmp = mkdtempSync(join(tmpdir(), 'nt-web-derived-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const v1 = (f) => join(VEC, 'receipt-v1', f);
const v2 = (f) => join(VEC, 'receipt-v2', f);
const own = (f) => join(VEC, 'own-v2', f);
const text = (p) => readFileSync(p, 'utf8');
const edit = (p, fn) => {
  const j = JSON.parse(text(p));
  fn(j);
  return JSON.stringify(j, null, 2);
};
const flipHex = (h, i) => h.slice(0, i) + ((parseInt(h[i], 16) ^ 1).toString(16)) + h.slice(i + 1);

// [name, genesis path or text, receipt path or text, file path or null]
const CASES = [
  ['v1 receipt, v2 genesis', v2('genesis.json'), v1('valid-0.receipt.json'), v1('evidence-0.txt')],
  ['v2 receipt, v1 genesis', v1('genesis.json'), v2('valid-h3-v1-record.receipt.json'), null],
  ['upper-case hex', own('genesis.json'), edit(own('valid-clear-sha256.receipt.json'), (j) => {
    j.record = j.record.toUpperCase();
  }), own('clear-sha256.txt')],
  ['odd-length record hex', own('genesis.json'), edit(own('valid-clear-sha256.receipt.json'), (j) => {
    j.record = j.record.slice(1);
  }), null],
  ['header with a trailing byte', own('genesis.json'), edit(own('valid-clear-sha256.receipt.json'), (j) => {
    j.header += '00';
  }), null],
  ['commit with a trailing byte', own('genesis.json'), edit(own('valid-clear-sha256.receipt.json'), (j) => {
    j.commit += '00';
  }), null],
  ['proof entry too short', v1('genesis.json'), edit(v1('valid-2.receipt.json'), (j) => {
    j.proof[0] = j.proof[0].slice(2);
  }), null],
  ['height as a string', own('genesis.json'), edit(own('valid-clear-sha256.receipt.json'), (j) => {
    j.height = String(j.height);
  }), null],
  ['height negative', own('genesis.json'), edit(own('valid-clear-sha256.receipt.json'), (j) => {
    j.height = -1;
  }), null],
  ['height as a real', own('genesis.json'), text(own('valid-clear-sha256.receipt.json')).replace('"height": 1,', '"height": 1.0,'), null],
  ['leaf_index huge', own('genesis.json'), text(own('valid-clear-sha256.receipt.json')).replace(/"leaf_index": \d+/, '"leaf_index": 9223372036854775807'), null],
  ['leaf_index beyond int64', own('genesis.json'), text(own('valid-clear-sha256.receipt.json')).replace(/"leaf_index": \d+/, '"leaf_index": 9223372036854775808'), null],
  ['duplicate member', own('genesis.json'), text(own('valid-clear-sha256.receipt.json')).replace('"height": 1,', '"height": 1, "height": 1,'), null],
  ['not JSON', own('genesis.json'), '{"format": "notary-receipt/2",', null],
  ['unknown format', own('genesis.json'), edit(own('valid-clear-sha256.receipt.json'), (j) => {
    j.format = 'notary-receipt/3';
  }), null],
  ['no valset_changes', own('genesis.json'), edit(own('valid-clear-sha256.receipt.json'), (j) => {
    delete j.valset_changes;
  }), null],
  ['unknown member ignored', own('genesis.json'), edit(own('valid-clear-sha256.receipt.json'), (j) => {
    j.log_proof = ['x'];
  }), own('clear-sha256.txt')],
  ['salt on a clear record ignored', own('genesis.json'), edit(own('valid-clear-sha256.receipt.json'), (j) => {
    j.salt = '00'.repeat(32);
  }), own('clear-sha256.txt')],
  ['clear meta on a clear record', own('genesis.json'), edit(own('valid-clear-sha256.receipt.json'), (j) => {
    j.salt = '00'.repeat(32);
    j.meta = '{}';
  }), null],
  ['meta not a string', own('genesis.json'), edit(own('valid-private.receipt.json'), (j) => {
    j.meta = {};
  }), null],
  ['private record without its meta', own('genesis.json'), edit(own('valid-private.receipt.json'), (j) => {
    delete j.meta;
  }), own('private.txt')],
  ['salted record, no file, no salt', own('genesis.json'), edit(own('valid-private.receipt.json'), (j) => {
    delete j.salt;
    delete j.meta;
  }), null],
  ['genesis_hash member differs', own('genesis.json'), edit(own('valid-clear-sha256.receipt.json'), (j) => {
    j.genesis_hash = flipHex(j.genesis_hash, 5);
  }), null],
  ['receipt chain_id differs', own('genesis.json'), edit(own('valid-clear-sha256.receipt.json'), (j) => {
    j.chain_id = 'other-net';
  }), null],
  ['commit signature flipped', own('genesis.json'), edit(own('valid-clear-sha256.receipt.json'), (j) => {
    j.commit = flipHex(j.commit, j.commit.length - 3);
  }), null],
  ['genesis_time without milliseconds', text(v2('genesis.json')).replace('00:00:00.000Z', '00:00:00Z'), v2('valid-h7-one-change.receipt.json'), v2('evidence-1.txt')],
  ['genesis with a duplicate key', text(v2('genesis.json')).replace('"chain_id"', '"chain_id": "x", "chain_id"'), v2('valid-h3-v1-record.receipt.json'), null],
  ['genesis key not on the curve', edit(v1('genesis.json'), (j) => {
    j.validators[0].pubkey = 'ff'.repeat(32);
  }), v1('valid-0.receipt.json'), null],
];

function asFile(x, name) {
  if (x.includes('/') && !x.trimStart().startsWith('{')) return x;
  const p = join(tmp, name);
  writeFileSync(p, x);
  return p;
}

function cli(g, r, f) {
  const args = ['verify', '--json', '--genesis', g, '--receipt', r, ...(f ? [f] : [])];
  try {
    return { rc: 0, out: JSON.parse(execFileSync(CLI, args, { encoding: 'utf8', stdio: 'pipe' })) };
  } catch (e) {
    return { rc: e.status, out: e.status === 1 ? JSON.parse(e.stdout) : null, err: e.stderr };
  }
}

CASES.forEach(([name, g0, r0, f], i) => {
  test(`derived: ${name}`, () => {
    const g = asFile(g0, `g${i}.json`);
    const r = asFile(r0, `r${i}.json`);
    const want = cli(g, r, f);
    let fd = null;
    if (f) {
      let alg = 1;
      try {
        alg = digestAlg(readReceipt(readFileSync(r))).alg;
      } catch { /* reported below */ }
      fd = digestOf(alg)(readFileSync(f));
    }
    const got = verifyTexts({ genesisText: readFileSync(g), receiptText: readFileSync(r),
      fileDigest: fd, file: f ? { name: f, size: readFileSync(f).length } : null });
    if (want.rc === 2) {
      assert.equal(got.valid, false, `the CLI cannot read it (${want.err.trim()}); the page says valid`);
      assert.ok(got.not_json || got.genesis_error, got.why);
      return;
    }
    assert.equal(got.valid, want.rc === 0, `page: ${got.why} / cli: ${want.out.why}`);
    assert.equal(got.why, want.out.why);
    if (got.valid)
      for (const k of ['chain_id', 'height', 'time', 'signers', 'meta', 'fingerprint', 'private',
        'meta_matched_commitment', 'record_id'])
        assert.deepEqual(got[k], want.out[k], k);
  });
});
