// A strict JSON reader that accepts what the C verifier's JSON library
// (jansson, with JSON_REJECT_DUPLICATES) accepts and refuses the rest, so the
// page and `notary verify` agree on odd input: duplicate member names, "\u0000"
// in strings, unpaired surrogate escapes and integers outside int64 are errors.
// Integers are returned as BigInt (heights and indexes are u64), other numbers
// as Number. Objects are null-prototype objects, so a member named
// "__proto__" is just a member.

export class JsonError extends Error {}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

// parse(text, { duplicates: true }) lets a later member replace an earlier
// one (jansson without JSON_REJECT_DUPLICATES); the default refuses them.
export function parse(text, opts = {}) {
  let i = 0;
  let line = 1;
  // "line N: text", as jansson words its errors (verify.js puts it in
  // parentheses, as core/receipt.c does).
  const fail = (what, at = line) => {
    throw new JsonError(`line ${at}: ${what}`);
  };
  const ws = () => {
    while (i < text.length && WS.has(text.charCodeAt(i))) {
      if (text.charCodeAt(i) === 0x0a) line++;
      i++;
    }
  };
  const value = (depth) => {
    if (depth > 2048) fail('too deeply nested');
    ws();
    const c = text[i];
    if (c === '{') return object(depth);
    if (c === '[') return array(depth);
    if (c === '"') return string();
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]])
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    return fail(i >= text.length ? 'unexpected end of input' : `unexpected '${c}'`);
  };
  const object = (depth) => {
    const o = Object.create(null);
    i++;
    ws();
    if (text[i] === '}') {
      i++;
      return o;
    }
    for (;;) {
      ws();
      if (text[i] !== '"') fail('string or \'}\' expected');
      const kline = line;
      const k = string();
      ws();
      if (text[i] !== ':') fail("':' expected");
      i++;
      const v = value(depth + 1);
      if (Object.prototype.hasOwnProperty.call(o, k) && !opts.duplicates)
        fail(`duplicate object key near '${JSON.stringify(k)}'`, kline);
      o[k] = v;
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return o;
      }
      fail("',' or '}' expected");
    }
  };
  const array = (depth) => {
    const a = [];
    i++;
    ws();
    if (text[i] === ']') {
      i++;
      return a;
    }
    for (;;) {
      a.push(value(depth + 1));
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') {
        i++;
        return a;
      }
      fail("',' or ']' expected");
    }
  };
  const hex4 = () => {
    const h = text.slice(i, i + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('invalid \\u escape');
    i += 4;
    return parseInt(h, 16);
  };
  const ESC = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
  const string = () => {
    i++;
    let out = '';
    for (;;) {
      if (i >= text.length) fail('premature end of input in a string');
      const c = text[i];
      const code = text.charCodeAt(i);
      if (c === '"') {
        i++;
        return out;
      }
      if (code < 0x20) fail('control character in a string');
      if (code >= 0xd800 && code <= 0xdfff) {
        // Only a well-formed pair can come from valid UTF-8 input.
        const next = text.charCodeAt(i + 1);
        if (code > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) fail('invalid UTF-8');
        out += text.slice(i, i + 2);
        i += 2;
        continue;
      }
      if (c !== '\\') {
        out += c;
        i++;
        continue;
      }
      const e = text[i + 1];
      i += 2;
      if (e in ESC) {
        out += ESC[e];
      } else if (e === 'u') {
        let u = hex4();
        if (u >= 0xd800 && u <= 0xdbff) {
          if (text[i] !== '\\' || text[i + 1] !== 'u') fail('invalid Unicode \\u escape');
          i += 2;
          const lo = hex4();
          if (lo < 0xdc00 || lo > 0xdfff) fail('invalid Unicode \\u escape');
          out += String.fromCharCode(u, lo);
          continue;
        }
        if (u >= 0xdc00 && u <= 0xdfff) fail('invalid Unicode \\u escape');
        if (u === 0) fail('\\u0000 is not allowed');
        out += String.fromCharCode(u);
      } else {
        fail('invalid escape');
      }
    }
  };
  const number = () => {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (m === null) fail('invalid number');
    i += m[0].length;
    if (m[2] === undefined && m[3] === undefined) {
      const n = BigInt(m[0]);
      if (n < INT64_MIN || n > INT64_MAX) fail('too big integer');
      return n;
    }
    const r = Number(m[0]);
    if (!Number.isFinite(r)) fail('real number overflow');
    return r;
  };
  const v = value(0);
  ws();
  if (i < text.length) fail('end of file expected');
  return v;
}

export const isObject = (v) =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

// Plain values for display and comparison: BigInt becomes Number when exact.
export function plain(v) {
  if (typeof v === 'bigint')
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(plain);
  if (isObject(v)) {
    const o = {};
    for (const k of Object.keys(v)) Object.defineProperty(o, k,
      { value: plain(v[k]), enumerable: true, writable: true, configurable: true });
    return o;
  }
  return v;
}
