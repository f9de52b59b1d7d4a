// Drives the built page (build/web/verify.html) in headless Chromium, from
// the file, with every request refused and the browser offline. Called by
// tests/it_web.py, which checks what this prints (one JSON object):
//   node browser.mjs --page PAGE --vectors DIR --work DIR --shots DIR
//     [--chromium /usr/bin/chromium]
// --work holds files the caller made: big.bin (the 200 MB file) and
// tampered.txt. Each scenario reports the verdict state, the reason shown,
// the page's text, timings and progress; "vectors" has the verdict on every
// case of tests/vectors/ as the page shows it.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { deflateRawSync } from 'node:zlib';

const argv = process.argv.slice(2);
const opt = (k, d) => (argv.includes(k) ? argv[argv.indexOf(k) + 1] : d);
const PAGE = resolve(opt('--page', 'build/web/verify.html'));
const VEC = resolve(opt('--vectors', 'tests/vectors'));
const WORK = resolve(opt('--work', '.'));
const SHOTS = resolve(opt('--shots', WORK));
const URL0 = pathToFileURL(PAGE).href;
// A node serving the page (notaryd's http.listen: GET /, /genesis.json,
// /receipt/<id>), run by the caller on loopback; optional.
const SERVED = opt('--served', null);
// The record the served scenario fetches by id and the file it checks
// (tests/it_web.py submits one to a real notaryd; default: a vector).
const SERVED_ID = opt('--served-id', null);
const SERVED_FILE = opt('--served-file', null);
// An SM3 record (its receipt, file and network genesis), optional: hashed by
// the page's WebAssembly SM3, from the file and, with --served, from the node.
const SM3_RECEIPT = opt('--sm3-receipt', null);
const SM3_FILE = opt('--sm3-file', null);
const SM3_GENESIS = opt('--sm3-genesis', null);

const DESKTOP = { viewport: { width: 1100, height: 900 } };
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

const browser = await chromium.launch({
  executablePath: opt('--chromium', '/usr/bin/chromium'),
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
});
const requests = [];
const out = { requests, scenarios: {}, vectors: [] };

async function newPage(lang, device = DESKTOP, hash = '') {
  const ctx = await browser.newContext({ ...device, locale: lang === 'zh' ? 'zh-CN' : 'en-US',
    timezoneId: 'UTC', deviceScaleFactor: 1 });
  await ctx.setOffline(true);
  // Every request but the page itself is refused, and noted.
  await ctx.route('**/*', (route) => {
    const u = route.request().url();
    if (u.split('#')[0] === URL0) return route.continue();
    requests.push(u);
    return route.abort();
  });
  ctx.on('request', (r) => {
    if (r.url().split('#')[0] !== URL0) requests.push(r.url());
  });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(URL0 + hash);
  page.errors = errors;
  return page;
}

// Sets the inputs (paths or null) and waits for the verdict of the last run.
async function check(page, { file, receipt, genesis }, timeout = 30000) {
  await page.click('#clear');
  if (genesis) await page.setInputFiles('#genesis-input', genesis);
  if (file) await page.setInputFiles('#file-input', file);
  if (receipt) await page.setInputFiles('#receipt-input', receipt);
  return settle(page, timeout);
}

async function settle(page, timeout = 30000) {
  await page.waitForFunction(() => {
    const v = document.getElementById('verdict');
    return v.dataset.done === String(window.__notary.state.run) &&
      (v.dataset.state === 'valid' || v.dataset.state === 'invalid');
  }, null, { timeout });
  return page.evaluate(() => {
    const v = document.getElementById('verdict');
    const r = window.__notary.state.result;
    return {
      state: v.dataset.state,
      badge: document.getElementById('badge')?.textContent,
      why: document.getElementById('why')?.textContent ?? null,
      fp: document.getElementById('fp')?.textContent ?? null,
      text: v.innerText,
      result: JSON.parse(JSON.stringify(r)),
      progress: window.__notary.progress.slice(),
      lang: document.documentElement.lang,
    };
  });
}

// What a person sees first: the viewport, the verdict at its top.
async function shot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SHOTS, name) });
}

const v1 = join(VEC, 'receipt-v1');
const v2 = join(VEC, 'receipt-v2');
const own = join(VEC, 'own-v2');
const S = out.scenarios;
async function scenario(name, fn) {
  const t0 = Date.now();
  try {
    S[name] = await fn();
  } catch (e) {
    S[name] = { error: String(e && e.stack || e) };
  }
  S[name].ms = Date.now() - t0;
}

// English, desktop: a valid receipt with its file; the same file tampered.
await scenario('valid_en', async () => {
  const page = await newPage('en');
  const r = await check(page, { file: join(own, 'clear-sha256.txt'),
    receipt: join(own, 'valid-clear-sha256.receipt.json'), genesis: join(own, 'genesis.json') });
  await shot(page, 'valid-en-desktop.png');
  r.errors = page.errors;
  const t = await check(page, { file: join(WORK, 'tampered.txt'),
    receipt: join(own, 'valid-clear-sha256.receipt.json'), genesis: join(own, 'genesis.json') });
  await shot(page, 'invalid-en-desktop.png');
  S.tampered_en = t;
  return r;
});

// Chinese, phone: a private receipt (salt and clear meta); a wrong genesis.
await scenario('private_zh_phone', async () => {
  const page = await newPage('zh', PHONE);
  const r = await check(page, { file: join(v2, 'evidence-3.txt'),
    receipt: join(v2, 'valid-h15-three-changes-private.receipt.json'), genesis: join(v2, 'genesis.json') });
  await shot(page, 'valid-zh-phone.png');
  const w = await check(page, { file: join(v2, 'evidence-0.txt'),
    receipt: join(v2, 'bad-genesis-renamed.receipt.json'), genesis: join(v2, 'genesis-renamed.json') });
  await shot(page, 'invalid-zh-phone.png');
  S.wrong_genesis_zh = w;
  return r;
});

await scenario('other_shots', async () => {
  const page = await newPage('zh');
  await check(page, { file: join(own, 'clear-sha256.txt'),
    receipt: join(own, 'valid-clear-sha256.receipt.json'), genesis: join(own, 'genesis.json') });
  await shot(page, 'valid-zh-desktop.png');
  await check(page, { file: join(WORK, 'tampered.txt'),
    receipt: join(own, 'valid-clear-sha256.receipt.json'), genesis: join(own, 'genesis.json') });
  await shot(page, 'invalid-zh-desktop.png');
  const p2 = await newPage('en', PHONE);
  await check(p2, { file: join(own, 'clear-sha256.txt'),
    receipt: join(own, 'valid-clear-sha256.receipt.json'), genesis: join(own, 'genesis.json') });
  await shot(p2, 'valid-en-phone.png');
  await check(p2, { file: join(WORK, 'tampered.txt'),
    receipt: join(own, 'valid-clear-sha256.receipt.json'), genesis: join(own, 'genesis.json') });
  await shot(p2, 'invalid-en-phone.png');
  return {};
});

// The language switch on a shown verdict, both ways.
await scenario('switch', async () => {
  const page = await newPage('en');
  await check(page, { file: join(v2, 'evidence-3.txt'),
    receipt: join(v2, 'bad-changes-forged-commit.receipt.json'), genesis: join(v2, 'genesis.json') });
  await page.click('#lang-zh');
  const zh = await settle(page);
  await page.click('#lang-en');
  const en = await settle(page);
  return { zh, en };
});

await scenario('forged_commit', async () => check(await newPage('en'), { file: join(v2, 'evidence-3.txt'),
  receipt: join(v2, 'bad-changes-forged-commit.receipt.json'), genesis: join(v2, 'genesis.json') }));

await scenario('v1_vector', async () => check(await newPage('en'), { file: join(v1, 'evidence-0.txt'),
  receipt: join(v1, 'valid-0.receipt.json'), genesis: join(v1, 'genesis.json') }));

// The receipt in the page address: #r= (plain) and #rz= (deflate-raw).
const b64url = (b) => Buffer.from(b).toString('base64url');
await scenario('fragment', async () => {
  const rtext = readFileSync(join(v2, 'valid-h7-one-change.receipt.json'));
  const res = {};
  for (const [k, v] of [['r', b64url(rtext)], ['rz', b64url(deflateRawSync(rtext))]]) {
    const page = await newPage('en', DESKTOP, `#${k}=${v}`);
    await page.waitForFunction(() => window.__notary.state.receipt !== null);
    await page.setInputFiles('#genesis-input', join(v2, 'genesis.json'));
    await page.setInputFiles('#file-input', join(v2, 'evidence-1.txt'));
    res[k] = await settle(page);
    res[k].receiptLabel = await page.textContent('#receipt-name');
    res[k].hashLength = v.length;
  }
  // Pasted: a whole address carrying #rz=.
  const page = await newPage('zh');
  await page.setInputFiles('#genesis-input', join(v2, 'genesis.json'));
  await page.fill('#paste', `https://court.example/verify.html#rz=${b64url(deflateRawSync(rtext))}`);
  await page.click('#paste-use');
  res.paste = await settle(page);
  return res;
});

// Drag and drop of all three files at once, in any order.
await scenario('drop', async () => {
  const page = await newPage('en');
  const files = [[join(own, 'genesis.json'), 'genesis.json'],
    [join(own, 'valid-private.receipt.json'), 'valid-private.receipt.json'],
    [join(own, 'private.txt'), 'private.txt']].map(([p, n]) => ({ n, b: readFileSync(p).toString('base64') }));
  await page.evaluate((files) => {
    const dt = new DataTransfer();
    for (const f of files)
      dt.items.add(new File([Uint8Array.from(atob(f.b), (c) => c.charCodeAt(0))], f.n));
    document.querySelector('main').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, files);
  await page.waitForFunction(() => window.__notary.state.file && window.__notary.state.receipt && window.__notary.state.genesis);
  return settle(page);
});

// A 200 MB file: streamed in 4 MiB slices with progress.
await scenario('big', async () => {
  const page = await newPage('en');
  const t0 = Date.now();
  const r = await check(page, { file: join(WORK, 'big.bin'),
    receipt: join(own, 'valid-clear-sha256.receipt.json'), genesis: join(own, 'genesis.json') }, 80000);
  r.hashMs = Date.now() - t0;
  r.heap = await page.evaluate(() => (performance.memory ? performance.memory.usedJSHeapSize : null));
  return r;
});

// Served by a node: the genesis and a receipt fetched from the same origin on
// request; any other host is refused.
if (SERVED) await scenario('served', async () => {
  const ctx = await browser.newContext({ ...DESKTOP, locale: 'en-US', timezoneId: 'UTC' });
  const origin = new URL(SERVED).origin;
  const seen = [];
  await ctx.route('**/*', (route) => {
    const u = route.request().url();
    seen.push(u);
    return u.startsWith(origin + '/') ? route.continue() : route.abort();
  });
  const page = await ctx.newPage();
  await page.goto(SERVED);
  const before = seen.slice();
  await page.click('#node-genesis');
  await page.waitForFunction(() => window.__notary.state.genesis !== null);
  const rid = SERVED_ID
    || JSON.parse(readFileSync(join(own, 'valid-clear-sha256.receipt.json'), 'utf8')).record_id;
  await page.fill('#receipt-id', rid);
  await page.click('#node-receipt');
  await page.waitForFunction(() => window.__notary.state.receipt !== null);
  await page.setInputFiles('#file-input', SERVED_FILE || join(own, 'clear-sha256.txt'));
  const r = await settle(page);
  r.before = before;
  r.seen = seen;
  r.servedNote = await page.isVisible('#served');
  r.genesisLabel = await page.textContent('#genesis-name');
  return r;
});

// An SM3 record: from the file (offline, the page's CSP) and, when served,
// from the node (its CSP header too), with its receipt fetched by id.
if (SM3_RECEIPT) await scenario('sm3', async () => {
  const res = {};
  const page = await newPage('en');
  res.file = await check(page, { file: SM3_FILE, receipt: SM3_RECEIPT, genesis: SM3_GENESIS });
  res.file.errors = page.errors.slice();
  res.tampered = await check(page, { file: join(WORK, 'tampered-sm3.txt'), receipt: SM3_RECEIPT,
    genesis: SM3_GENESIS });
  if (SERVED) {
    const ctx = await browser.newContext({ ...DESKTOP, locale: 'en-US', timezoneId: 'UTC' });
    const origin = new URL(SERVED).origin;
    await ctx.route('**/*', (route) => (route.request().url().startsWith(origin + '/')
      ? route.continue() : route.abort()));
    const p = await ctx.newPage();
    const errors = [];
    p.on('pageerror', (e) => errors.push(String(e)));
    p.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await p.goto(SERVED);
    await p.click('#node-genesis');
    await p.waitForFunction(() => window.__notary.state.genesis !== null);
    await p.fill('#receipt-id', JSON.parse(readFileSync(SM3_RECEIPT, 'utf8')).record_id);
    await p.click('#node-receipt');
    await p.waitForFunction(() => window.__notary.state.receipt !== null);
    await p.setInputFiles('#file-input', SM3_FILE);
    res.served = await settle(p);
    res.served.errors = errors;
  }
  return res;
});

// Every case of tests/vectors/, through the page's inputs.
await scenario('vectors', async () => {
  const page = await newPage('en');
  for (const set of ['receipt-v1', 'receipt-v2', 'own-v2']) {
    const dir = join(VEC, set);
    for (const c of JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8'))) {
      const r = await check(page, { file: c.file ? join(dir, c.file) : null,
        receipt: join(dir, c.receipt), genesis: join(dir, c.genesis || 'genesis.json') });
      out.vectors.push({ set, receipt: c.receipt, genesis: c.genesis || 'genesis.json', file: c.file,
        state: r.state, why: r.result.why, result: r.result });
    }
  }
  return { errors: page.errors };
});

await browser.close();
process.stdout.write(JSON.stringify(out));
