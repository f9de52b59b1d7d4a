// Agreement: the page's verifier module (src/verify.js, the code the page
// bundles) against the real CLI, `notary verify --json`, on every case of
// tests/vectors/ (receipt-v1, receipt-v2, own-v2): the same validity, the same
// reason when invalid, the same verdict fields when valid, and what each
// cases.json expects.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyTexts, readReceipt, digestAlg } from '../src/verify.js';
import { hasher, digestsReady } from '../src/digest.js';

await digestsReady();

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const VEC = process.env.NT_VECTORS || join(ROOT, 'tests/vectors');
const CLI = join(process.env.NT_BUILD || join(ROOT, 'build'), 'notary');
const SETS = ['receipt-v1', 'receipt-v2', 'own-v2'];

function cli(genesis, receipt, file) {
  const args = ['verify', '--json', '--genesis', genesis, '--receipt', receipt];
  if (file) args.push(file);
  try {
    return { rc: 0, out: JSON.parse(execFileSync(CLI, args, { encoding: 'utf8' })) };
  } catch (e) {
    if (e.status === 1) return { rc: 1, out: JSON.parse(e.stdout) };
    throw new Error(`${CLI} ${args.join(' ')}: exit ${e.status}: ${e.stderr}`);
  }
}

async function page(genesis, receipt, file) {
  const receiptText = readFileSync(receipt);
  let fileDigest = null;
  let f = null;
  if (file) {
    // The digest the page computes: the record's algorithm, streamed.
    let alg = 1;
    try {
      alg = digestAlg(readReceipt(receiptText)).alg;
    } catch { /* malformed: verifyTexts says why */ }
    const data = readFileSync(file);
    const h = await hasher(alg);
    for (let off = 0; off < data.length; off += 7) h.update(data.subarray(off, off + 7));
    fileDigest = h.digest();
    f = { name: file, size: data.length };
  }
  return verifyTexts({ genesisText: readFileSync(genesis), receiptText, fileDigest, file: f });
}

// The verdict members both give; the page adds time_ms and why_zh.
const KEYS = ['valid', 'why', 'chain_id', 'height', 'time', 'signatures', 'validators', 'signers',
  'submitter', 'client_time', 'digest_alg', 'digest', 'size', 'meta', 'format', 'fingerprint',
  'valset_changes', 'private', 'salted_digest', 'meta_committed', 'meta_matched_commitment',
  'record_id', 'block_hash', 'file_checked', 'file', 'file_size'];

let total = 0;
test('the CLI is built', () => {
  assert.ok(existsSync(CLI), `${CLI} is missing: run make`);
});

for (const set of SETS) {
  const dir = join(VEC, set);
  const cases = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8'));
  cases.forEach((c, i) => {
    total++;
    test(`${set} #${i} ${c.receipt} (${c.genesis || 'genesis.json'}, ${c.file})`, async () => {
      const g = join(dir, c.genesis || 'genesis.json');
      const r = join(dir, c.receipt);
      const f = c.file ? join(dir, c.file) : null;
      const want = cli(g, r, f);
      const got = await page(g, r, f);
      assert.equal(got.valid, c.valid, `cases.json says valid=${c.valid}: ${got.why}`);
      assert.equal(want.rc, c.valid ? 0 : 1);
      // An INVALID verdict: the page gives the reason and what it could
      // read; the CLI may say more (expected/found, the file it checked).
      for (const k of KEYS)
        if (got.valid || k in got) assert.deepEqual(got[k], want.out[k], `member ${k}`);
      if (c.valid) {
        const e = c.expect;
        for (const k of ['chain_id', 'height', 'time', 'submitter', 'digest', 'meta', 'signatures',
          'fingerprint', 'private', 'valset_changes'])
          if (k in e) assert.deepEqual(got[k], e[k], `cases.json expect.${k}`);
        if (e.signers) assert.deepEqual(got.signers.map((s) => s.name), e.signers);
      }
    });
  });
}

test('every vector set was found', () => {
  assert.ok(total >= 65, `only ${total} cases`);
});
