// Every word of the page exists in both languages, of the same kind.
import test from 'node:test';
import assert from 'node:assert/strict';
import { STRINGS, defaultLang } from '../src/i18n.js';

test('English and Chinese have the same keys', () => {
  assert.deepEqual(Object.keys(STRINGS.zh).sort(), Object.keys(STRINGS.en).sort());
  for (const k of Object.keys(STRINGS.en))
    assert.equal(typeof STRINGS.zh[k], typeof STRINGS.en[k], k);
});

test('the default language follows the browser', () => {
  assert.equal(defaultLang({ language: 'zh-CN' }), 'zh');
  assert.equal(defaultLang({ language: 'zh-TW' }), 'zh');
  assert.equal(defaultLang({ language: 'en-GB' }), 'en');
  assert.equal(defaultLang({ language: 'de' }), 'en');
});
