// Differential: the same seeded random mix of meta requests to Debian's memcached 1.6.18 and to
// memcachedts, replies compared byte for byte after normalising what may differ: cas values are
// compared as classes (the n-th distinct cas on one server must be the n-th on the other), and
// seconds (`t`, `l`, me's `exp=`/`la=`) may differ by 2. Later-memcached flags (E, md x) are
// among the malformed lines: both servers reject them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairForFile, SKIP_WITHOUT_MEMCACHED } from '../support/pair.js';
import { RawClient } from '../support/client.js';
import { SeededRandom } from '../support/random.js';

const SEED = Number(process.env.META_DIFF_SEED ?? 0x6d657461);
const REQUESTS = Number(process.env.META_DIFF_REQUESTS ?? 1500);

// Keys: a few plain ones and binary ones (sent base64 with `b`). Counters (ma's keys) are never
// fetched with mg: memcached bumps a fetched item of its cold LRU asynchronously, holding a
// reference for a moment, and an incr/decr meanwhile copies the item instead of changing it in
// place (fresh fetched bit, no space padding). That race is memcached's, not a behaviour to copy.
const PLAIN_KEYS = ['a', 'b', 'k:1', 'swr'];
const BINARY_KEYS = [Buffer.from([0, 255, 13, 10]), Buffer.from('plain-as-binary')];
const COUNTER_KEYS = ['cnt', 'cnt2', Buffer.from('count\x00er').toString('base64') + ' b'];

/** A request template: `$CAS` / `$CASX` / `$CASLO` are replaced per server by its last cas. */
interface Req {
  text: string;
}

function generate(n: number, seed: number): Req[] {
  const r = new SeededRandom(seed);
  const shuffle = <T>(xs: T[]): T[] => {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = r.int(i + 1);
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  };
  const value = (): string => {
    const len = r.pick([0, 1, 2, 5, 20]);
    let s = '';
    for (let i = 0; i < len; i++) s += r.pick('abcdefghijklmnopqrstuvwxyz0123456789'.split(''));
    return s;
  };
  const number = (): string => String(r.pick([0, 1, 7, 42, 99, 18446744073709551615n, 18446744073709551614n]));
  const key = (flags: string[]): string => {
    if (r.chance(0.2)) {
      flags.push('b');
      return r.pick(BINARY_KEYS).toString('base64');
    }
    return r.pick(PLAIN_KEYS);
  };
  const opaque = (): string => 'O' + (r.chance(0.05) ? 'x'.repeat(32) : String(r.int(1000)));
  const ttl = (): string => r.pick(['0', '30', '100', '-1', '3000']);
  const cas = (): string => r.pick(['$CAS', '$CAS', '$CASX', '$CASLO', '0']);
  const some = (opts: ReadonlyArray<() => string>, p: number): string[] => {
    const out: string[] = [];
    for (const o of opts) if (r.chance(p)) out.push(o());
    return out;
  };
  const reqs: Req[] = [];
  for (let i = 0; i < n; i++) {
    const what = r.next();
    const flags: string[] = [];
    let text: string;
    if (what < 0.3) {
      const k = key(flags);
      flags.push(...some([() => 's', () => 'v', () => 'c', () => 'f', () => 'k', () => 'h', () => 'u', () => 'q',
        () => 't', () => 'l', opaque, () => 'T' + ttl(), () => 'N' + ttl(), () => 'R' + r.pick(['10', '200'])], 0.25));
      text = `mg ${k} ${shuffle(flags).join(' ')}`;
    } else if (what < 0.55) {
      const k = key(flags);
      const v = value();
      flags.push(...some([() => 'c', () => 'k', () => 'q', opaque, () => 'T' + ttl(), () => 'F' + r.pick(['0', '5', '4294967295']),
        () => 'C' + cas(), () => 'I', () => 'M' + r.pick(['E', 'A', 'P', 'R', 'S', 'S'])], 0.2));
      // Now and then a block one byte longer than announced: bad data chunk, then ERROR.
      const declared = v.length > 0 && r.chance(0.03) ? v.length - 1 : v.length;
      text = `ms ${k} ${declared} ${shuffle(flags).join(' ')}\r\n${v}`;
    } else if (what < 0.68) {
      const k = key(flags);
      flags.push(...some([() => 'q', () => 'k', opaque, () => 'C' + cas(), () => 'I', () => 'T' + ttl()], 0.25));
      text = `md ${k} ${shuffle(flags).join(' ')}`;
    } else if (what < 0.85) {
      const k = r.pick(COUNTER_KEYS);
      flags.push(...some([() => 'N' + ttl(), () => 'J' + number(), () => 'D' + number(), () => 'M' + r.pick(['I', '+', 'D', '-']),
        () => 't', () => 'c', () => 'v', () => 'q', opaque, () => 'k', () => 'C' + cas(), () => 'T' + ttl()], 0.25));
      text = `ma ${k} ${shuffle(flags).join(' ')}`;
    } else if (what < 0.9) {
      const k = r.chance(0.3) ? r.pick(COUNTER_KEYS) : key(flags);
      text = `me ${k} ${flags.join(' ')}`;
    } else if (what < 0.93) {
      text = 'set ' + r.pick(r.chance(0.5) ? PLAIN_KEYS : ['cnt', 'cnt2']) + ' 0 0 2\r\n' + r.pick(['10', 'ab', '99']);
    } else {
      // malformed lines
      text = r.pick([
        'mg a v Z', 'mg a v v', 'md a q q', 'ma a Dx', 'ma a MZ', 'mg a T', 'mg a MZZ', 'ms a 2 Z\r\nxx', 'ms a x\r\nzz',
        'mg ' + 'k'.repeat(251) + ' v', 'ms a -1', 'mg', 'ms a', 'me', 'mg a ' + Array.from({ length: 18 }, (_, j) => 'O' + j).join(' '),
        'mg Zm9v= b v', 'md a O' + 'y'.repeat(33), 'ma a J-1', 'mz a',
        'md a x', 'md a q x', 'mg a E5 v', 'ma a E5', 'md a E5', 'ms a 2 E5\r\nxx',
      ]);
    }
    reqs.push({ text: text.replace(/ +$/, '') + '\r\n' });
  }
  return reqs;
}

/** One server's side: its connection, its cas classes, the last cas it returned. */
class Side {
  readonly client: RawClient;
  private readonly classes = new Map<string, number>();
  lastCas = '1';

  constructor(client: RawClient) {
    this.client = client;
  }

  /** Request text with cas placeholders filled from this server's last cas. */
  render(text: string): string {
    const last = BigInt(this.lastCas);
    return text
      .replace('$CASX', String(last + 1000n))
      .replace('$CASLO', String(last > 1n ? last - 1n : 1n))
      .replace('$CAS', String(last));
  }

  /** Sends the request plus `mn`, returns the replies before MN. */
  async exchange(text: string): Promise<string> {
    this.client.send(this.render(text) + 'mn\r\n');
    let out = '';
    for (;;) {
      const l = await this.client.line(3000);
      if (l === 'MN') return out;
      out += l + '\r\n';
      const va = /^VA (\d+)/.exec(l);
      if (va !== null) out += (await this.client.read(Number(va[1]) + 2)).toString('latin1');
    }
  }

  /** Replaces cas values by their class number, seconds by a tolerance marker. */
  normalise(reply: string): { text: string; seconds: number[] } {
    const seconds: number[] = [];
    const lines = reply.split('\r\n');
    let skipData = false;
    const outLines = lines.map((line) => {
      if (skipData) {
        skipData = false;
        return line;
      }
      // (a line starting with a space is the rest of a header whose returned key held \r\n)
      if (/^(HD|VA|EN|NS|EX|NF)\b/.test(line) || line.startsWith(' ')) {
        if (line.startsWith('VA')) skipData = true;
        return line
          .split(' ')
          .map((tok, i) => {
            if (i === 0) return tok;
            if (/^c\d+$/.test(tok)) return 'c#' + this.casClass(tok.slice(1));
            if (/^[tl]\d+$/.test(tok)) {
              seconds.push(Number(tok.slice(1)));
              return tok[0] + '~';
            }
            return tok;
          })
          .join(' ');
      }
      if (line.startsWith('ME ')) {
        return line
          .replace(/cas=(\d+)/, (_m, c: string) => 'cas=#' + this.casClass(c))
          .replace(/(exp|la)=(-?\d+)/g, (m, name: string, v: string) => {
            if (v === '-1' && name === 'exp') return m;
            seconds.push(Number(v));
            return name + '=~';
          });
      }
      return line;
    });
    return { text: outLines.join('\r\n'), seconds };
  }

  private casClass(c: string): number {
    if (c !== '0') this.lastCas = c;
    let n = this.classes.get(c);
    if (n === undefined) {
      n = c === '0' ? 0 : this.classes.size + 1;
      this.classes.set(c, n);
    }
    return n;
  }
}

const pair = pairForFile({ args: ['-U', '0'] });

test(`random meta mix (seed ${SEED}, ${REQUESTS} requests) answers like memcached 1.6.18`, { skip: SKIP_WITHOUT_MEMCACHED }, async () => {
  const { ours, theirs } = pair();
  const a = new Side(await RawClient.connect(theirs.port));
  const b = new Side(await RawClient.connect(ours.port));
  try {
    const reqs = generate(REQUESTS, SEED);
    for (let i = 0; i < reqs.length; i++) {
      const text = reqs[i]!.text;
      const ra = a.normalise(await a.exchange(text));
      const rb = b.normalise(await b.exchange(text));
      const where = `request #${i}: ${JSON.stringify(a.render(text))}`;
      assert.equal(rb.text, ra.text, where);
      assert.equal(rb.seconds.length, ra.seconds.length, where);
      for (let j = 0; j < ra.seconds.length; j++) {
        assert.ok(Math.abs(ra.seconds[j]! - rb.seconds[j]!) <= 2, `${where}: seconds ${ra.seconds[j]} vs ${rb.seconds[j]}`);
      }
    }
    // The counters meta commands move must agree too. (Not get_expired or curr_items: memcached's
    // LRU crawler reclaims expired items in the background, on its own schedule.)
    const sa = await a.client.stats();
    const sb = await b.client.stats();
    for (const name of ['cmd_get', 'cmd_set', 'cmd_touch', 'cmd_meta', 'get_hits', 'get_misses', 'touch_hits',
      'touch_misses', 'delete_hits', 'delete_misses', 'incr_hits', 'incr_misses', 'decr_hits', 'decr_misses', 'cas_hits',
      'cas_misses', 'cas_badval', 'store_too_large']) {
      assert.equal(sb.get(name), sa.get(name), `stat ${name}`);
    }
  } finally {
    a.client.close();
    b.client.close();
  }
});

test('q pipelines in one packet answer like memcached 1.6.18', { skip: SKIP_WITHOUT_MEMCACHED }, async () => {
  const { ours, theirs } = pair();
  const a = await RawClient.connect(theirs.port);
  const b = await RawClient.connect(ours.port);
  try {
    const pipeline =
      'ms pq 2 q T0\r\nbo\r\nmg pq v q\r\nmg pq k v q Oa\r\nmg pqmiss v q\r\nmd pqmiss q\r\nma pqn q N0 J5\r\n' +
      'ma pqn q\r\nma pqn v q\r\nmg pqn v q\r\nmd pq q\r\nmg pq v q k\r\nms pq 2 q MA\r\nzz\r\nmg pqw N30 q s\r\nmn\r\n';
    a.send(pipeline);
    b.send(pipeline);
    const ra = await a.request('', 'MN');
    const rb = await b.request('', 'MN');
    assert.equal(rb, ra);
  } finally {
    a.close();
    b.close();
  }
});

