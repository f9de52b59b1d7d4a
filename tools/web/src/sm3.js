// SM3 (GB/T 32905-2016) as an incremental hasher, `sm3.create().update(..).digest()`.
//
// Why this file exists: no maintained npm package exposes an incremental SM3.
// sm-crypto (the most used) and gm-crypto hash one whole array at a time, which
// cannot take a 2 GB file; sm-crypto-v2 has a streaming class but does not export
// it. So the padding, buffering and length encoding come from @noble/hashes'
// audited Merkle-Damgard base class (HashMD, the one its SHA-256 uses; SM3 pads
// exactly like SHA-256), and only the compression function below is ours,
// written from the standard's section 5. test/sm3.test.mjs checks it against the
// standard's two examples and against sm-crypto over many lengths.
import { HashMD } from '@noble/hashes/_md.js';
import { createHasher, rotl } from '@noble/hashes/utils.js';

const IV = Uint32Array.from([
  0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600, 0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e,
]);
const W = new Uint32Array(68);
const P0 = (x) => x ^ rotl(x, 9) ^ rotl(x, 17);
const P1 = (x) => x ^ rotl(x, 15) ^ rotl(x, 23);
// T_j rotated left by j (mod 32), precomputed.
const TJ = new Uint32Array(64);
for (let j = 0; j < 64; j++) TJ[j] = rotl(j < 16 ? 0x79cc4519 : 0x7a879d8a, j % 32);

class SM3 extends HashMD {
  A = 0; B = 0; C = 0; D = 0; E = 0; F = 0; G = 0; H = 0;
  constructor() {
    super(64, 32, 8, false);
    this.set(...IV);
  }
  get() {
    const { A, B, C, D, E, F, G, H } = this;
    return [A, B, C, D, E, F, G, H];
  }
  set(A, B, C, D, E, F, G, H) {
    this.A = A | 0; this.B = B | 0; this.C = C | 0; this.D = D | 0;
    this.E = E | 0; this.F = F | 0; this.G = G | 0; this.H = H | 0;
  }
  _cloneInto(to) {
    (to ||= new SM3()).set(...this.get());
    return this._cloneIntoMeta(to);
  }
  process(view, offset) {
    // 5.3.2 message expansion
    for (let i = 0; i < 16; i++, offset += 4) W[i] = view.getUint32(offset, false);
    for (let i = 16; i < 68; i++)
      W[i] = P1(W[i - 16] ^ W[i - 9] ^ rotl(W[i - 3], 15)) ^ rotl(W[i - 13], 7) ^ W[i - 6];
    // 5.3.3 compression, W'_j = W_j ^ W_{j+4}
    let { A, B, C, D, E, F, G, H } = this;
    for (let j = 0; j < 64; j++) {
      const a12 = rotl(A, 12);
      const SS1 = rotl((a12 + E + TJ[j]) | 0, 7);
      const SS2 = SS1 ^ a12;
      const ff = j < 16 ? A ^ B ^ C : (A & B) | (A & C) | (B & C);
      const gg = j < 16 ? E ^ F ^ G : (E & F) | (~E & G);
      const TT1 = (ff + D + SS2 + (W[j] ^ W[j + 4])) | 0;
      const TT2 = (gg + H + SS1 + W[j]) | 0;
      D = C;
      C = rotl(B, 9);
      B = A;
      A = TT1;
      H = G;
      G = rotl(F, 19);
      F = E;
      E = P0(TT2);
    }
    this.set(A ^ this.A, B ^ this.B, C ^ this.C, D ^ this.D, E ^ this.E, F ^ this.F,
      G ^ this.G, H ^ this.H);
  }
  roundClean() {
    W.fill(0);
  }
  destroy() {
    this.destroyed = true;
    this.set(0, 0, 0, 0, 0, 0, 0, 0);
    this.buffer.fill(0);
  }
}

export const sm3 = createHasher(() => new SM3());
