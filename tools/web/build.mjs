// Builds the verification page: src/main.js and everything it imports
// (pinned packages included) bundled by esbuild, then the script and
// src/style.css inlined into src/page.html: one file, no requests.
//   node build.mjs [--out PATH]     (default ../../build/web/verify.html)
import { build } from 'esbuild';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const oi = args.indexOf('--out');
const out = resolve(oi >= 0 ? args[oi + 1] : join(here, '../../build/web/verify.html'));

const res = await build({
  entryPoints: [join(here, 'src/main.js')],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['chrome100', 'firefox100', 'safari15.4'],
  minify: true,
  charset: 'utf8',
  legalComments: 'inline',
  write: false,
  logLevel: 'warning',
});
let js = res.outputFiles[0].text;
// The script sits inside <script>: no "</script" may appear in it.
js = js.replace(/<\/(script)/gi, '<\\/$1');
const css = readFileSync(join(here, 'src/style.css'), 'utf8');
const page = readFileSync(join(here, 'src/page.html'), 'utf8');
const parts = page.split('/*SCRIPT*/');
if (parts.length !== 2 || !parts[0].includes('/*STYLE*/')) throw new Error('page.html placeholders');
const html = parts[0].replace('/*STYLE*/', () => css) + js + parts[1];
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, html);
console.log(`web: ${out} (${(html.length / 1024).toFixed(0)} KiB)`);
