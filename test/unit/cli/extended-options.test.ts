// The -o table on its own: each option that needs a value fails without one, with the line
// memcached 1.6.18 prints (checked against /usr/bin/memcached), and unknown names are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyExtendedOptions } from '../../../src/cli/extended-options.js';
import { DEFAULT_SETTINGS, type Settings } from '../../../src/config/settings.js';
import { ConfigError } from '../../../src/errors.js';

function apply(list: string): { settings: Settings; warnings: string[] } {
  const settings = { ...DEFAULT_SETTINGS };
  const warnings: string[] = [];
  applyExtendedOptions([list], settings, warnings);
  return { settings, warnings };
}

function failureOf(list: string): string {
  try {
    apply(list);
  } catch (e: unknown) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  assert.fail(`no failure for -o ${list}`);
}

test('a value-taking option without its value: memcached\'s line', () => {
  const missing: Array<[string, string]> = [
    ['hashpower', 'Missing numeric argument for hashpower'],
    ['slab_automove_ratio', 'Missing slab_automove_ratio argument'],
    ['slab_automove_window', 'Missing slab_automove_window argument'],
    ['tail_repair_time', 'Missing numeric argument for tail_repair_time'],
    ['hash_algorithm', 'Missing hash_algorithm argument'],
    ['lru_crawler_sleep', 'Missing lru_crawler_sleep value'],
    ['lru_crawler_tocrawl', 'Missing lru_crawler_tocrawl value'],
    ['hot_lru_pct', 'Missing hot_lru_pct argument'],
    ['warm_lru_pct', 'Missing warm_lru_pct argument'],
    ['hot_max_factor', 'Missing hot_max_factor argument'],
    ['warm_max_factor', 'Missing warm_max_factor argument'],
    ['temporary_ttl', 'Missing temporary_ttl argument'],
    ['idle_timeout', 'Missing numeric argument for idle_timeout'],
    ['watcher_logbuf_size', 'Missing watcher_logbuf_size argument'],
    ['worker_logbuf_size', 'Missing worker_logbuf_size argument'],
    ['slab_chunk_max', 'Missing slab_chunk_max argument'],
    ['read_buf_mem_limit', 'Missing read_buf_mem_limit argument'],
    ['ssl_verify_mode', 'Missing ssl_verify_mode argument'],
    ['ssl_min_version', 'Missing ssl_min_version argument'],
    ['ssl_keyformat', 'Missing ssl_keyformat argument'],
    ['ssl_wbuf_size', 'Missing ssl_wbuf_size argument'],
    ['ssl_chain_cert', 'Missing ssl_chain_cert argument'],
    ['ssl_key', 'Missing ssl_key argument'],
    ['ssl_ciphers', 'Missing ssl_ciphers argument'],
    ['ssl_ca_cert', 'Missing ssl_ca_cert argument'],
  ];
  for (const [name, line] of missing) assert.equal(failureOf(name), line, name);
});

test('names are looked up exactly: no prototype keys, the whole token in the message', () => {
  assert.equal(failureOf('constructor'), 'Illegal suboption "constructor"');
  assert.equal(failureOf('__proto__=1'), 'Illegal suboption "__proto__=1"');
  assert.equal(failureOf('HASHPOWER=20'), 'Illegal suboption "HASHPOWER=20"');
});

test('rows set what they name; flags ignore a value; later options win', () => {
  const { settings, warnings } = apply('hashpower=20,lru_crawler=0,slab_automove,slab_automove=2,ssl_key=/k.pem,ext_path=/x,ext_path=/y');
  assert.equal(settings.hashPowerInit, 20);
  assert.equal(settings.lruCrawler, true);
  assert.equal(settings.slabAutomove, 2);
  assert.equal(settings.ssl.key, '/k.pem');
  assert.deepEqual(warnings, ['WARNING: -o ext_path (extstore) is not supported by memcachedts and is ignored.']);
});
