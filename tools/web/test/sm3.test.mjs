// SM3 as the page computes it (hash-wasm's createSM3() through src/digest.js)
// against GB/T 32905-2016 Appendix A and against sm-crypto (a separate, widely
// used implementation) over many lengths and split points, streamed and
// one-shot.
import test from 'node:test';
import assert from 'node:assert/strict';
import smcrypto from 'sm-crypto';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { digestOf, digestsReady, hasher, hashBlob } from '../src/digest.js';

await digestsReady();
const SM3 = 3;
const sm3 = digestOf(SM3);

test('GB/T 32905 example 1: "abc"', async () => {
  const want = '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0';
  assert.equal(bytesToHex(sm3(utf8ToBytes('abc'))), want);
  assert.equal(bytesToHex((await hasher(SM3)).update(utf8ToBytes('abc')).digest()), want);
});

test('GB/T 32905 example 2: "abcd" x 16 (64 bytes)', async () => {
  const want = 'debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732';
  assert.equal(bytesToHex(sm3(utf8ToBytes('abcd'.repeat(16)))), want);
  const h = await hasher(SM3);
  for (let i = 0; i < 16; i++) h.update(utf8ToBytes('abcd'));
  assert.equal(bytesToHex(h.digest()), want);
});

test('agrees with sm-crypto on lengths 0..300 and 4 KiB + 1, fed in pieces', async () => {
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) & 0xff;
  for (const n of [...Array(301).keys(), 4097]) {
    const data = Uint8Array.from({ length: n }, rnd);
    const want = smcrypto.sm3(Array.from(data));
    assert.equal(bytesToHex(sm3(data)), want, `length ${n}`);
    const h = await hasher(SM3);
    const cut = n === 0 ? 0 : rnd() % n;
    const cut2 = cut + Math.floor((n - cut) / 2);
    h.update(data.subarray(0, cut)).update(data.subarray(cut, cut2)).update(data.subarray(cut2));
    assert.equal(bytesToHex(h.digest()), want, `length ${n} split at ${cut} and ${cut2}`);
  }
});

test('streamed hashers are independent of each other and of the one-shot', async () => {
  const a = utf8ToBytes('a'.repeat(1000));
  const b = utf8ToBytes('b'.repeat(777));
  const ha = await hasher(SM3);
  const hb = await hasher(SM3);
  ha.update(a.subarray(0, 500));
  hb.update(b.subarray(0, 100));
  assert.equal(bytesToHex(sm3(utf8ToBytes('abc'))),
    '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
  ha.update(a.subarray(500));
  hb.update(b.subarray(100));
  assert.equal(bytesToHex(ha.digest()), smcrypto.sm3(Array.from(a)));
  assert.equal(bytesToHex(hb.digest()), smcrypto.sm3(Array.from(b)));
});

test('hashBlob: a Blob of 9 MiB + 3 in 4 MiB slices, as sm-crypto whole', async () => {
  const n = 9 * 1024 * 1024 + 3;
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) data[i] = (i * 31 + (i >>> 11)) & 0xff;
  const seen = [];
  const got = await hashBlob(new Blob([data]), SM3, (done, total) => seen.push([done, total]));
  assert.deepEqual(seen, [[4194304, n], [8388608, n], [n, n]]);
  assert.equal(bytesToHex(got), smcrypto.sm3(Array.from(data)));
});
