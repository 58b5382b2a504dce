// Meta flag validation side by side with Debian's memcached 1.6.18: every meta command (mg, ms,
// md, ma, mn, me) with unknown flags (later memcached's E and md's x among them), repeated
// flags, bytes >= 127, flags missing their number, and soft errors before and after hard ones.
// Each command's error message is its own (mg/ms: the specific one; md/ma: "invalid or
// duplicate flag"), so the table runs every flag case through every command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairForFile, SKIP_WITHOUT_MEMCACHED } from '../support/pair.js';
import { exchangeOnce } from '../support/exchange.js';

const pair = pairForFile();

const FLAG_CASES: readonly string[] = [
  'x', 'x1', 'E5', 'E', 'Z', 'z', '!', '\xff', '\x7f', 'v v', 'q q', 'k k', 'T1 T2', 'O1 O2', 'D1 D2', 'MI MD',
  'T-', 'Tx', 'N', 'C', 'Cx', 'F', 'F-1', 'M', 'MXY', 'J', 'Jx', 'Dx', 'D-1', 'b', 'q x', 'x q', 'Tx Z', 'Z Tx',
  'T1 Tx', 'b Tx', 'F-1 Tx', 'Tx F-1', 'P L', 'Ix', 'v1', 'v=1', 'k v E5', 'O' + 'o'.repeat(40), 'O' + 'o'.repeat(40) + ' Z',
];

const COMMANDS: readonly ((flags: string) => string)[] = [
  (f) => `mg fk ${f}\r\n`,
  (f) => `md fk ${f}\r\n`,
  (f) => `ma fn ${f}\r\n`,
  (f) => `ms fk 2 ${f}\r\nhi\r\n`,
  (f) => `mn ${f}\r\n`,
  (f) => `me fk ${f}\r\n`,
];

const SENTINEL = 'version\r\n';

/** Sends the request and a `version`, and reads up to the VERSION line. */
async function exchange(port: number, input: string): Promise<string> {
  const r = await exchangeOnce(port, Buffer.from(input + SENTINEL, 'latin1'), {
    isComplete: (out) => out.includes('VERSION ') && out[out.length - 1] === 0x0a && out[out.length - 2] === 0x0d,
    timeoutMs: 3000,
  });
  if (r.ending === 'reset') throw new Error('connection reset');
  const got = r.out.toString('latin1');
  return r.ending === 'complete' ? got.slice(0, got.indexOf('VERSION ')) : got + '<no VERSION line>';
}

/** me's cas= and la= differ between two servers; the rest of its line must not. */
function normalize(reply: string): string {
  return reply.replace(/ la=\d+ cas=\d+ /g, ' la=_ cas=_ ');
}

test('every meta command answers unknown, repeated and malformed flags like memcached 1.6.18', { skip: SKIP_WITHOUT_MEMCACHED }, async () => {
  const { ours, theirs } = pair();
  const ourPort = ours.port;
  const theirPort = theirs.port;
  // The items the commands act on, reset before each case so that no case depends on another.
  const reset = 'set fk 0 0 2\r\nab\r\nset fn 0 0 1\r\n5\r\n';
  const mismatches: string[] = [];
  for (const command of COMMANDS) {
    for (const flags of FLAG_CASES) {
      const request = command(flags);
      const [a, b] = await Promise.all([exchange(ourPort, reset + request + 'mg fk v\r\nmg fn v\r\n'), exchange(theirPort, reset + request + 'mg fk v\r\nmg fn v\r\n')]);
      if (normalize(a) !== normalize(b)) mismatches.push(`${JSON.stringify(request)}\n  memcached:   ${JSON.stringify(b)}\n  memcachedts: ${JSON.stringify(a)}`);
    }
  }
  assert.deepEqual(mismatches, []);
});
