import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { buildProgram, HELP_TEXT, parseRawOptions, VERSION_LINE } from '../../../src/cli/program.js';
import { ConfigError } from '../../../src/errors.js';

// Flags of memcached 1.6.18 `memcached -h` (short, long or null).
const MEMCACHED_FLAGS: Array<[string, string | null]> = [
  ['p', 'port'], ['U', 'udp-port'], ['s', 'unix-socket'], ['a', 'unix-mask'], ['A', 'enable-shutdown'],
  ['l', 'listen'], ['d', 'daemon'], ['r', 'enable-coredumps'], ['u', 'user'], ['m', 'memory-limit'],
  ['M', 'disable-evictions'], ['c', 'conn-limit'], ['k', 'lock-memory'], ['v', 'verbose'], ['h', 'help'],
  ['i', 'license'], ['V', 'version'], ['P', 'pidfile'], ['f', 'slab-growth-factor'], ['n', 'slab-min-size'],
  ['L', 'enable-largepages'], ['D', null], ['t', 'threads'], ['R', 'max-reqs-per-event'], ['C', 'disable-cas'],
  ['b', 'listen-backlog'], ['B', 'protocol'], ['I', 'max-item-size'], ['S', 'enable-sasl'],
  ['F', 'disable-flush-all'], ['X', 'disable-dumping'], ['W', 'disable-watch'], ['Y', 'auth-file'],
  ['e', 'memory-file'], ['Z', 'enable-ssl'], ['o', 'extended'], ['N', 'napi-ids'],
];

test('every memcached 1.6.18 flag exists with the same short and long name', () => {
  const program = buildProgram();
  for (const [short, long] of MEMCACHED_FLAGS) {
    const opt = program.options.find((o) => o.short === `-${short}`);
    assert.ok(opt !== undefined, `-${short} missing`);
    if (long !== null) assert.equal(opt.long, `--${long}`, `-${short}`);
  }
  assert.ok(program.options.some((o) => o.long === '--config-file'));
  assert.ok(program.options.some((o) => o.long === '--log-format'));
});

test('the flags listed by the installed memcached -h are all known', { skip: !existsSync('/usr/bin/memcached') && process.env['CI'] !== 'true' }, () => {
  const help = execFileSync('/usr/bin/memcached', ['-h'], { encoding: 'utf8' });
  const shorts = [...help.matchAll(/^-(\w)[, ]/gm)].map((m) => m[1]);
  assert.ok(shorts.length > 30, 'memcached -h lists its flags');
  const program = buildProgram();
  for (const s of shorts) assert.ok(program.options.some((o) => o.short === `-${s}`), `-${s}`);
  for (const m of help.matchAll(/^-\w, --([\w-]+)/gm)) {
    const long = m[1] === 'napi_ids' ? 'napi-ids' : m[1]; // memcached's help says napi_ids, getopt takes napi-ids
    assert.ok(program.options.some((o) => o.long === `--${long}`), `--${long}`);
  }
});

test('raw options: repeated -l and -o kept in order, -v counted', () => {
  const raw = parseRawOptions(['-l', 'a', '-vv', '--listen=b', '-o', 'x', '--extended', 'y', '-v']);
  assert.deepEqual(raw.listen, ['a', 'b']);
  assert.deepEqual(raw.extended, ['x', 'y']);
  assert.equal(raw.verbose, 3);
});

test('operands are ignored like getopt does; -- ends the options', () => {
  const raw = parseRawOptions(['foo', '-p', '1', '--', '-m', '5']);
  assert.equal(raw.port, '1');
  assert.equal(raw.memoryLimit, undefined);
});

test('a value may start with a dash (getopt takes the next word)', () => {
  assert.equal(parseRawOptions(['-p', '-5']).port, '-5');
});

test('parse errors are ConfigError exit 64', () => {
  assert.throws(() => parseRawOptions(['--nope']), (e: unknown) => e instanceof ConfigError && e.exitCode === 64);
});

test('help and version text', () => {
  assert.equal(VERSION_LINE, 'memcachedts 0.1.0 (memcached 1.6.18 compatible)');
  for (const f of ['-p, --port', '-U, --udp-port', '-o, --extended', '--config-file', '--log-format', 'idle_timeout']) {
    assert.ok(HELP_TEXT.includes(f), f);
  }
});
