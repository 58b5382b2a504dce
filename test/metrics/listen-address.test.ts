// -o metrics_listen=ADDR:PORT: loopback or private addresses only, never a memcached port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMetricsListen } from '../../src/metrics/listen-address.js';
import { parseCommandLine } from '../../src/cli/from-args.js';
import type { DebianConf } from '../../src/config/debian-conf.js';
import { ConfigError, ExitCode } from '../../src/errors.js';

const noConf = (path: string): DebianConf => {
  throw new Error(`unexpected conf read ${path}`);
};

function parse(argv: string[]): ConfigError | { host: string; port: number } | null {
  try {
    const r = parseCommandLine(argv, { env: {}, readConf: noConf });
    if (r.action !== 'run') throw new Error('expected run');
    return r.settings.metricsListen;
  } catch (e: unknown) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
}

test('accepted: loopback, RFC 1918 and fc00::/7 addresses with a port', () => {
  const ok: Array<[string, string, number]> = [
    ['127.0.0.1:9150', '127.0.0.1', 9150],
    ['127.8.9.10:1', '127.8.9.10', 1],
    ['localhost:9150', '127.0.0.1', 9150],
    ['[::1]:9150', '::1', 9150],
    ['[0:0:0:0:0:0:0:1]:9150', '0:0:0:0:0:0:0:1', 9150],
    ['[::ffff:127.0.0.1]:9150', '::ffff:127.0.0.1', 9150],
    ['10.1.2.3:65535', '10.1.2.3', 65535],
    ['172.16.0.1:9150', '172.16.0.1', 9150],
    ['172.31.255.255:9150', '172.31.255.255', 9150],
    ['192.168.1.20:9150', '192.168.1.20', 9150],
    ['[fd12:3456::1]:9150', 'fd12:3456::1', 9150],
    ['[fc00::2]:9150', 'fc00::2', 9150],
  ];
  for (const [text, host, port] of ok) assert.deepEqual(parseMetricsListen(text), { host, port }, text);
});

test('refused: wildcards, public addresses, names, bad or missing ports', () => {
  const bad = ['0.0.0.0:9150', '[::]:9150', '8.8.8.8:9150', '172.32.0.1:9150', '172.15.0.1:9150', '192.169.0.1:9150',
    '100.64.0.1:9150', '[2001:db8::1]:9150', '[fe80::1]:9150', '[::ffff:8.8.8.8]:9150', 'example.com:9150',
    '127.0.0.1', '127.0.0.1:', '127.0.0.1:0', '127.0.0.1:65536', '127.0.0.1:x', '127.0.0.1:+80', '::1:9150', '[::1]9150',
    '[::1', ':9150', ''];
  for (const text of bad) {
    const r = parseMetricsListen(text);
    assert.ok('error' in r, `${text} should be refused`);
    assert.ok(r.error.startsWith(`metrics_listen=${text}: `), r.error);
  }
});

test('the command line: off by default; refused on the memcached ports with exit 64', () => {
  assert.equal(parse([]), null);
  assert.deepEqual(parse(['-p', '11300', '-o', 'metrics_listen=127.0.0.1:9150']), { host: '127.0.0.1', port: 9150 });
  assert.deepEqual(parse(['-o', 'idle_timeout=5,metrics_listen=[::1]:9150']), { host: '::1', port: 9150 });
  const refusals: string[][] = [
    ['-o', 'metrics_listen=127.0.0.1:11211'], // memcached's default -p
    ['-p', '9150', '-o', 'metrics_listen=127.0.0.1:9150'],
    ['-p', '11300', '-U', '9150', '-o', 'metrics_listen=127.0.0.1:9150'],
    ['-p', '11300', '-l', '127.0.0.1:9150', '-o', 'metrics_listen=127.0.0.1:9150'],
    ['-o', 'metrics_listen=0.0.0.0:9150'],
    ['-o', 'metrics_listen'],
  ];
  for (const argv of refusals) {
    const r = parse(argv);
    assert.ok(r instanceof ConfigError, argv.join(' '));
    assert.equal(r.exitCode, ExitCode.Usage);
    assert.match(r.message, /metrics_listen/);
  }
  // With -s (unix socket only) the TCP port is unused, so 11211 is free for metrics.
  assert.deepEqual(parse(['-s', '/tmp/x.sock', '-o', 'metrics_listen=127.0.0.1:11211']), { host: '127.0.0.1', port: 11211 });
});
