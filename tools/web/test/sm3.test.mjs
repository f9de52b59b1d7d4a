// SM3 against GB/T 32905-2016 Appendix A and against sm-crypto (a separate,
// widely used implementation) over many lengths and split points.
import test from 'node:test';
import assert from 'node:assert/strict';
import smcrypto from 'sm-crypto';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { sm3 } from '../src/sm3.js';

test('GB/T 32905 example 1: "abc"', () => {
  assert.equal(bytesToHex(sm3(utf8ToBytes('abc'))),
    '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
});

test('GB/T 32905 example 2: "abcd" x 16 (64 bytes)', () => {
  assert.equal(bytesToHex(sm3(utf8ToBytes('abcd'.repeat(16)))),
    'debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732');
});

test('agrees with sm-crypto on lengths 0..300 and 4 KiB + 1, fed in pieces', () => {
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) & 0xff;
  for (const n of [...Array(301).keys(), 4097]) {
    const data = Uint8Array.from({ length: n }, rnd);
    const want = smcrypto.sm3(Array.from(data));
    assert.equal(bytesToHex(sm3(data)), want, `length ${n}`);
    const h = sm3.create();
    const cut = n === 0 ? 0 : rnd() % n;
    h.update(data.subarray(0, cut)).update(data.subarray(cut));
    assert.equal(bytesToHex(h.digest()), want, `length ${n} split at ${cut}`);
  }
});
