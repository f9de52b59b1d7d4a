// The page: inputs (file pickers, drag and drop, paste, the #r= address),
// the streaming hash with progress, and the verdict, in English or Chinese.
// Every check is src/verify.js; this file only gathers input and shows.
import { verifyTexts, readReceipt, digestAlg } from './verify.js';
import { hashBlob } from './digest.js';
import { hex } from './codec.js';
import { STRINGS, defaultLang } from './i18n.js';

const $ = (id) => document.getElementById(id);
const state = {
  lang: defaultLang(navigator),
  file: null, // File
  receipt: null, // { data: Uint8Array|string, label }
  genesis: null, // { data, label, fromNode }
  result: null, // verifyTexts() output, plus file_digest
  run: 0,
};
// For tests and the curious: the last verdict and the progress seen.
window.__notary = { state, progress: [] };

const S = () => STRINGS[state.lang];
function t(key, ...args) {
  const v = S()[key];
  return typeof v === 'function' ? v(...args) : v;
}

function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  for (const k of kids) if (k != null) e.append(k);
  return e;
}

// ---- language ----

function applyLang() {
  document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t('title');
  for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  for (const e of document.querySelectorAll('[data-i18n-placeholder]'))
    e.placeholder = t(e.dataset.i18nPlaceholder);
  for (const b of document.querySelectorAll('.lang button'))
    b.setAttribute('aria-pressed', String(b.dataset.lang === state.lang));
  $('progress-label').textContent = t($('progress-bar').value >= 100 ? 'hashed' : 'hashing');
  showInputs();
  render();
}

// ---- inputs ----

function showInputs() {
  $('file-name').textContent = state.file
    ? `${state.file.name} (${t('bytes', state.file.size)})` : t('none');
  $('receipt-name').textContent = state.receipt ? state.receipt.label() : t('none');
  $('genesis-name').textContent = state.genesis ? state.genesis.label() : t('none');
}

async function readBytes(file) {
  return new Uint8Array(await file.arrayBuffer());
}

function setFile(f) {
  state.file = f;
  changed();
}
async function setReceiptFile(f) {
  // Larger than any receipt may be: refused without reading it whole.
  state.receipt = f.size > 9 * 1024 * 1024 ? { tooBig: f.size, label: () => f.name }
    : { data: await readBytes(f), label: () => f.name };
  changed();
}
async function setGenesisFile(f) {
  // One byte over the limit is enough for readGenesis to refuse it.
  const data = await readBytes(f.slice(0, 1024 * 1024 + 1));
  state.genesis = { data, label: () => f.name };
  changed();
}

// Sorts dropped files: a receipt, a genesis file, or the evidence.
async function classify(f) {
  if (f.size <= 9 * 1024 * 1024) {
    try {
      const j = JSON.parse(await f.text());
      if (j && typeof j === 'object') {
        if (typeof j.format === 'string' && j.format.startsWith('notary-receipt')) return 'receipt';
        if ('record' in j && 'header' in j && 'commit' in j) return 'receipt';
        if ('validators' in j && 'genesis_time' in j && !('record' in j)) return 'genesis';
      }
    } catch { /* not JSON: evidence */ }
  }
  return 'file';
}

async function onDrop(files) {
  for (const f of files) {
    const kind = await classify(f);
    if (kind === 'receipt') await setReceiptFile(f);
    else if (kind === 'genesis') await setGenesisFile(f);
    else setFile(f);
  }
}

// ---- the receipt in the page address (docs/FORMATS.md "Receipt in a page address") ----

function b64urlDecode(s) {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new Error('not base64url');
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

async function inflateRaw(bytes, max) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
  const reader = stream.getReader();
  const parts = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > max) {
      reader.cancel();
      throw new Error('too large');
    }
    parts.push(value);
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// "r=<base64url JSON>" or "rz=<base64url deflate-raw JSON>" (a fragment
// without its "#"). Returns the receipt bytes, or null if there is none.
async function receiptFromFragment(frag) {
  const p = new URLSearchParams(frag);
  if (p.has('r')) return b64urlDecode(p.get('r'));
  if (p.has('rz')) return inflateRaw(b64urlDecode(p.get('rz')), 8 * 1024 * 1024 + 1);
  return null;
}

async function fromAddress() {
  const frag = location.hash.replace(/^#/, '');
  if (!frag) return;
  try {
    const data = await receiptFromFragment(frag);
    if (data === null) return;
    state.receipt = { data, label: () => t('from_address') };
  } catch {
    state.receipt = { data: 'x', label: () => t('from_address') };
  }
  changed();
}

async function fromPaste() {
  const s = $('paste').value.trim();
  if (!s) return;
  let data = s;
  if (!s.startsWith('{')) {
    const i = s.indexOf('#');
    const frag = i >= 0 ? s.slice(i + 1) : s;
    try {
      data = (await receiptFromFragment(frag)) ?? s;
    } catch {
      data = s;
    }
  }
  state.receipt = { data, label: () => t('pasted') };
  changed();
}

// ---- served by a node: same-origin conveniences ----

async function nodeGenesis() {
  try {
    const r = await fetch('/genesis.json', { cache: 'no-store' });
    if (!r.ok) throw new Error(String(r.status));
    const data = new Uint8Array(await r.arrayBuffer());
    state.genesis = { data, fromNode: true, label: () => `genesis.json (${t('genesis_from_node')})` };
    changed();
  } catch {
    $('node-msg').textContent = t('fetch_failed');
  }
}

async function nodeReceipt() {
  const id = $('receipt-id').value.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(id)) {
    $('node-msg').textContent = t('fetch_failed');
    return;
  }
  try {
    const r = await fetch(`/receipt/${id}`, { cache: 'no-store' });
    if (!r.ok) throw new Error(String(r.status));
    const data = new Uint8Array(await r.arrayBuffer());
    state.receipt = { data, label: () => `${id.slice(0, 16)}… (${t('genesis_from_node')})` };
    $('node-msg').textContent = '';
    changed();
  } catch {
    $('node-msg').textContent = t('fetch_failed');
  }
}

// ---- checking ----

let abort = null;

function changed() {
  showInputs();
  check();
}

function setProgress(done, total) {
  const p = total === 0 ? 100 : Math.floor((done * 100) / total);
  $('progress-bar').value = p;
  $('progress-text').textContent = t('progress', p);
  $('progress-label').textContent = t(done >= total ? 'hashed' : 'hashing');
  window.__notary.progress.push(p);
}

async function check() {
  const run = ++state.run;
  if (abort) abort.abort();
  abort = null;
  if (!state.receipt || !state.genesis) {
    state.result = null;
    render();
    $('verdict').dataset.done = String(run);
    return;
  }
  const receiptData = state.receipt.data;
  let fileDigest = null;
  let fileInfo = null;
  if (state.file && !state.receipt.tooBig) {
    let alg = null;
    try {
      alg = digestAlg(readReceipt(receiptData)).alg;
    } catch { /* verifyTexts reports it */ }
    if (alg !== null) {
      abort = new AbortController();
      state.result = { working: true };
      render();
      window.__notary.progress = [];
      $('progress').hidden = false;
      setProgress(0, state.file.size || 1);
      try {
        fileDigest = await hashBlob(state.file, alg, setProgress, abort.signal);
      } catch (e) {
        if (run !== state.run) return;
        state.result = { valid: false, why: `${STRINGS.en.read_error}: ${e.message}`,
          why_zh: `${STRINGS.zh.read_error}：${e.message}` };
        render();
        $('verdict').dataset.done = String(run);
        return;
      }
      if (run !== state.run) return;
      fileInfo = { name: state.file.name, size: state.file.size };
    }
  }
  const res = state.receipt.tooBig
    ? { valid: false, why: `receipt is ${state.receipt.tooBig} bytes, more than 8388608 allowed`,
      why_zh: `收据有 ${state.receipt.tooBig} 字节，超过上限 8388608` }
    : verifyTexts({ genesisText: state.genesis.data, receiptText: receiptData, fileDigest, file: fileInfo });
  if (fileDigest) {
    res.file_digest = hex(fileDigest);
    res.file_name = state.file.name;
    res.file_bytes = state.file.size;
    if (!res.valid) {
      try {
        res.file_digest_alg = digestAlg(readReceipt(receiptData)).name;
      } catch { /* no algorithm to name */ }
    }
  }
  if (run !== state.run) return;
  state.result = res;
  render();
  $('verdict').dataset.done = String(run);
}

// ---- the verdict ----

const pad = (n, w = 2) => String(n).padStart(w, '0');

function utcText(ms) {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.` +
    `${pad(d.getUTCMilliseconds(), 3)} UTC`;
}

function zoneText(ms, timeZone) {
  const parts = {};
  for (const p of new Intl.DateTimeFormat('en-US', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit',
    minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'longOffset',
  }).formatToParts(new Date(ms))) parts[p.type] = p.value;
  const off = (parts.timeZoneName || '').replace('GMT', 'UTC') || 'UTC';
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}.` +
    `${pad(new Date(ms).getUTCMilliseconds(), 3)} (${off})`;
}

function row(label, ...value) {
  return el('div', { class: 'row' }, el('dt', {}, label), el('dd', {}, ...value));
}
const mono = (s) => el('span', { class: 'mono' }, s);

function metaRows(meta) {
  const rows = [];
  const known = ['case', 'title', 'media_type', 'file_name'];
  const show = (v) => (typeof v === 'string' ? v : JSON.stringify(v));
  for (const k of known)
    if (k in meta) rows.push(row(t(`meta_${k}`), show(meta[k])));
  for (const k of Object.keys(meta))
    if (!known.includes(k)) rows.push(row(`${t('meta_other')} ${k.slice(0, 30)}`, show(meta[k])));
  return rows;
}

function render() {
  const box = $('verdict');
  const r = state.result;
  box.replaceChildren();
  if (!r || r.working) {
    box.dataset.state = r ? 'working' : 'idle';
    if (!r) {
      $('progress').hidden = true;
      box.append(el('p', { class: 'waiting' }, t('waiting')));
    }
    return;
  }
  box.dataset.state = r.valid ? 'valid' : 'invalid';
  const head = el('div', { class: 'badge', id: 'badge' }, r.valid ? t('valid') : t('invalid'));
  box.append(head);
  const dl = el('dl', { class: 'fields' });
  if (!r.valid) {
    const why = state.lang === 'zh' ? (r.why_zh || `${r.why}`) : r.why;
    box.append(el('p', { class: 'lead' }, t('invalid_lead')),
      el('p', { class: 'why', id: 'why' }, why));
    if (state.lang === 'zh' && r.why_zh) box.append(el('p', { class: 'why-en mono' }, r.why));
    if (r.fingerprint)
      dl.append(row(t('fingerprint'), el('span', { class: 'fp mono', id: 'fp' }, r.fingerprint),
        el('div', { class: 'note' }, t('fingerprint_note'))));
    if (r.file_digest) {
      dl.append(row(t('evidence'), `${r.file_name} (${t('bytes', r.file_bytes)})`));
      dl.append(row(t('file_digest'), mono(`${r.file_digest_alg || ''} ${r.file_digest}`)));
    }
    if (r.record_id) dl.append(row(t('record_id'), mono(r.record_id)));
    box.append(dl);
    return;
  }
  box.append(el('p', { class: 'lead' }, t('valid_lead', r.chain_id, r.height)));
  dl.append(row(t('network'), mono(r.chain_id)));
  dl.append(row(t('fingerprint'), r.fingerprint
    ? el('span', { class: 'fp mono', id: 'fp' }, r.fingerprint) : t('fingerprint_v1'),
  r.fingerprint ? el('div', { class: 'note' }, t('fingerprint_note')) : null));
  dl.append(row(t('evidence'), r.file_checked
    ? el('span', { class: 'ok' }, t('evidence_ok', r.file, t('bytes', r.file_size)))
    : t('evidence_none')));
  if (r.file_digest) dl.append(row(t('file_digest'), mono(`${r.digest_alg} ${r.file_digest}`)));
  dl.append(row(t('digest'), mono(`${r.digest_alg} ${r.digest}`), r.salted_digest ? ` ${t('salted')}` : null));
  if (!r.file_checked && r.size !== 0) dl.append(row(t('size_stated'), t('bytes', Number(r.size))));
  const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const times = el('div', { class: 'times' },
    el('div', { id: 'time-utc' }, mono(utcText(r.time_ms))),
    el('div', { id: 'time-bj' }, `${t('beijing')}: `, mono(zoneText(r.time_ms, 'Asia/Shanghai'))));
  if (local && local !== 'UTC' && local !== 'Etc/UTC' && local !== 'Asia/Shanghai')
    times.append(el('div', {}, `${t('local')} (${local}): `, mono(zoneText(r.time_ms, local))));
  times.append(el('div', { class: 'note' }, t('attested', r.signatures, r.validators)));
  dl.append(row(t('no_later'), times));
  const signers = el('ul', { class: 'signers', id: 'signers' });
  for (const s of r.signers)
    signers.append(el('li', {}, s.name, ' ', el('span', { class: 'mono dim' }, `${s.pubkey.slice(0, 16)}…`)));
  dl.append(row(`${t('signed_by')} (${r.signatures} / ${r.validators})`, signers));
  if (r.format === 2 && r.fingerprint)
    dl.append(row(t('valset'), r.valset_changes === 0 ? t('valset_genesis') : t('valset_changed', r.valset_changes)));
  if (r.salted_digest || r.meta_committed) {
    const parts = [];
    if (r.salted_digest) parts.push(r.file_checked ? t('private_salted_file') : t('private_salted'));
    if (r.meta_matched_commitment) parts.push(t('private_meta_ok'));
    else if (r.meta_committed) parts.push(t('private_meta_hidden'));
    dl.append(row(t('private'), parts.join('; ')));
  }
  dl.append(row(t('submitter'), mono(r.submitter), el('div', { class: 'note' },
    `${t('client_time')}: ${utcText(Date.parse(r.client_time))}`)));
  const mr = metaRows(r.meta);
  dl.append(...mr);
  if (mr.length) dl.append(row('', el('span', { class: 'note' }, t('meta_note'))));
  dl.append(row(t('record_id'), mono(r.record_id)));
  dl.append(row(t('block_hash'), mono(r.block_hash)));
  box.append(dl);
}

// ---- wiring ----

function init() {
  for (const b of document.querySelectorAll('.lang button'))
    b.addEventListener('click', () => {
      state.lang = b.dataset.lang;
      applyLang();
    });
  $('file-input').addEventListener('change', (e) => e.target.files[0] && setFile(e.target.files[0]));
  $('receipt-input').addEventListener('change', (e) => e.target.files[0] && setReceiptFile(e.target.files[0]));
  $('genesis-input').addEventListener('change', (e) => e.target.files[0] && setGenesisFile(e.target.files[0]));
  $('paste-use').addEventListener('click', fromPaste);
  $('clear').addEventListener('click', () => {
    state.file = state.receipt = state.genesis = null;
    for (const id of ['file-input', 'receipt-input', 'genesis-input', 'paste']) $(id).value = '';
    if (location.hash) history.replaceState(null, '', location.pathname + location.search);
    changed();
  });
  document.addEventListener('dragover', (e) => {
    e.preventDefault();
    document.body.classList.add('dragging');
  });
  document.addEventListener('dragleave', () => document.body.classList.remove('dragging'));
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    document.body.classList.remove('dragging');
    if (e.dataTransfer && e.dataTransfer.files.length) onDrop([...e.dataTransfer.files]);
  });
  window.addEventListener('hashchange', fromAddress);
  if (location.protocol === 'http:' || location.protocol === 'https:') {
    $('served').hidden = false;
    $('node-genesis').addEventListener('click', nodeGenesis);
    $('node-receipt').addEventListener('click', nodeReceipt);
  }
  applyLang();
  fromAddress();
}

init();
