import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DestinationStream } from 'pino';
import { createLogger } from '../../../src/log/logger.js';

function sink(): { dest: DestinationStream; text: () => string } {
  let out = '';
  return { dest: { write: (s: string) => void (out += s) }, text: () => out };
}

test('text mode prints memcached plain lines', () => {
  const s = sink();
  const log = createLogger({ format: 'text', verbosity: 2, destination: s.dest });
  log.line('<26 get foo');
  log.warn('WARNING: x');
  log.error('bad');
  log.info('Exiting normally');
  assert.equal(s.text(), '<26 get foo\nWARNING: x\nbad\nExiting normally\n');
  assert.equal(log.level, 2);
  log.level = 0;
  assert.equal(log.level, 0);
});

test('a logger given a level word keeps its level there: two loggers over one word see each other', () => {
  const word = new Int32Array(new SharedArrayBuffer(4));
  word[0] = 1;
  const a = createLogger({ format: 'text', verbosity: 1, destination: sink().dest, levelWord: word });
  const b = createLogger({ format: 'text', verbosity: 1, destination: sink().dest, levelWord: word });
  a.level = 3;
  assert.equal(b.level, 3);
  assert.equal(word[0], 3);
  word[0] = 0;
  assert.equal(a.level, 0);
  // without a word, each logger has its own
  const c = createLogger({ format: 'text', verbosity: 2, destination: sink().dest });
  c.level = 1;
  assert.equal(a.level, 0);
});

test('json mode prints one pino JSON object per event with the same text', () => {
  const s = sink();
  const log = createLogger({ format: 'json', verbosity: 1, destination: s.dest });
  log.line('Initialized SASL.');
  log.warn('careful');
  log.fatal('boom', new Error('why'));
  const lines = s.text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 3);
  assert.equal(lines[0]?.['msg'], 'Initialized SASL.');
  assert.equal(lines[0]?.['level'], 'info');
  assert.equal(lines[1]?.['level'], 'warn');
  assert.equal(lines[2]?.['level'], 'fatal');
  assert.equal((lines[2]?.['err'] as { message?: string } | undefined)?.message, 'why');
  assert.equal(typeof lines[0]?.['pid'], 'number');
});
