import { test } from 'node:test';
import assert from 'node:assert/strict';
import { joinListenArgs, parseListenSpec } from '../../../src/config/listen-spec.js';

function parse(specs: string[], port = 11211, warnings: string[] = []) {
  return parseListenSpec(specs, port, (w) => warnings.push(w));
}

function hosts(specs: string[], port = 11211): string[] {
  const r = parse(specs, port);
  if ('error' in r) throw new Error(r.error);
  return r.map((a) => `${a.isIpv6 ? '[' + a.host + ']' : a.host}:${a.port}${a.explicitPort ? '!' : ''}`);
}

test('no -l means all interfaces (empty list)', () => {
  assert.deepEqual(parse([]), []);
});

test('host, host:port, [v6], [v6]:port, bare v6, names', () => {
  assert.deepEqual(hosts(['127.0.0.1']), ['127.0.0.1:11211']);
  assert.deepEqual(hosts(['127.0.0.1:2000']), ['127.0.0.1:2000!']);
  assert.deepEqual(hosts(['[::1]']), ['[::1]:11211']);
  assert.deepEqual(hosts(['[::1]:2001']), ['[::1]:2001!']);
  assert.deepEqual(hosts(['::1']), ['[::1]:11211']);
  assert.deepEqual(hosts(['fe80::1:2']), ['[fe80::1:2]:11211']);
  assert.deepEqual(hosts(['localhost:5']), ['localhost:5!']);
  assert.deepEqual(hosts(['127.0.0.1:0']), ['127.0.0.1:0!']);
});

test('comma and semicolon lists, repeated -l joined', () => {
  assert.deepEqual(hosts(['127.0.0.1,[::1]:3000;10.0.0.1']), ['127.0.0.1:11211', '[::1]:3000!', '10.0.0.1:11211']);
  assert.deepEqual(hosts(['127.0.0.1', '::1'], 99), ['127.0.0.1:99', '[::1]:99']);
  assert.deepEqual(hosts(['127.0.0.1,,;::1']), ['127.0.0.1:11211', '[::1]:11211']);
});

test('* is every IPv4 and IPv6 interface', () => {
  assert.deepEqual(hosts(['*']), ['0.0.0.0:11211', '[::]:11211']);
  assert.deepEqual(hosts(['*:4000']), ['0.0.0.0:4000!', '[::]:4000!']);
});

test("memcached's strstr quirk: a repeated -l inside what is listed is skipped", () => {
  assert.equal(joinListenArgs(['127.0.0.10', '127.0.0.1']), '127.0.0.10');
  assert.deepEqual(hosts(['127.0.0.10', '127.0.0.1']), ['127.0.0.10:11211']);
  assert.deepEqual(hosts(['127.0.0.1:2000', '127.0.0.1']), ['127.0.0.1:2000!']);
  assert.deepEqual(hosts(['127.0.0.1', '127.0.0.1:2000']), ['127.0.0.1:11211', '127.0.0.1:2000!']);
  assert.equal(joinListenArgs(['a', 'b', 'c']), 'a,b,c');
});

test('prefixes are accepted, tag and proto warned about once, notls kept', () => {
  const warnings: string[] = [];
  const r = parse(['proto[ascii]:127.0.0.1:1,proto[binary]:127.0.0.2', 'tag[abc]:[::1]:3', 'notls:127.0.0.3'], 11211, warnings);
  assert.ok(!('error' in r));
  assert.deepEqual(
    r.map((a) => a.host + ':' + a.port),
    ['127.0.0.1:1', '127.0.0.2:11211', '::1:3', '127.0.0.3:11211'],
  );
  assert.equal(warnings.length, 2);
  assert.ok(warnings.some((w) => w.includes('proto[')));
  assert.ok(warnings.some((w) => w.includes('tag[')));
  // notls: is honoured (the listener stays clear under -Z), not warned about
  assert.deepEqual(r.map((a) => a.notls === true), [false, false, false, true]);
});

test('negative ports pass as strtol passes them: -1 is ephemeral, the rest fail at bind', () => {
  const ports = (specs: string[]): number[] => {
    const r = parse(specs);
    assert.ok(!('error' in r));
    return r.map((a) => a.port);
  };
  assert.deepEqual(ports(['127.0.0.1:-1']), [-1]);
  assert.deepEqual(ports(['[::1]:-5']), [-5]);
  // safe_strtol's syntax: a sign, trailing white space (memcached 1.6.18 binds 127.0.0.1:+29350).
  assert.deepEqual(ports(['127.0.0.1:+80']), [80]);
});

test("errors carry memcached's first line", () => {
  assert.deepEqual(parse(['[::1']), { error: 'Invalid IPV6 address: "[::1"' });
  assert.deepEqual(parse(['127.0.0.1:abc']), { error: 'Invalid port number: "abc"' });
  assert.deepEqual(parse(['127.0.0.1:']), { error: 'Invalid port number: ""' });
  assert.deepEqual(parse(['127.0.0.1:-5x']), { error: 'Invalid port number: "-5x"' });
  assert.deepEqual(parse(['127.0.0.1:99999']), { error: 'Invalid port number: "99999"' });
  assert.deepEqual(parse(['[::1]:x']), { error: 'Invalid port number: "x"' });
  assert.deepEqual(parse(['tag[toolongtag]:127.0.0.1']), { error: 'Listener tags must be between 1 and 8 characters: "toolongtag"' });
  assert.ok('error' in parse(['']));
  assert.ok('error' in parse(['[nothex]']));
});
