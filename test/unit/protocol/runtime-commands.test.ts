// The run-time admin commands change what the running store does, not only what `stats settings`
// prints: each command is sent over a session, then its effect on the store is observed (where
// items go, what the maintainer moves, what the crawler reclaims, what a flush hides).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cache } from '../../../src/store/cache.js';
import type { ServerContext } from '../../../src/server-context.js';
import type { Session } from '../../../src/protocol/session.js';
import { makeSession } from '../../support/context.js';
import { parseStats } from '../../support/client.js';
import { feed } from '../../support/session-driver.js';
import { makeCtx } from './binary/helpers.js';
import { req, u32 } from '../../support/binary-packets.js';

const VALUE = 'v'.repeat(100);

function text(s: Session, line: string): string {
  return feed(s, [Buffer.from(line, 'latin1')]).out.toString('latin1');
}

function stats(s: Session, group = ''): Map<string, string> {
  return parseStats(text(s, `stats${group === '' ? '' : ' ' + group}\r\n`));
}

/** `stats items` figures of the one slab class the test's items live in. */
function items(s: Session): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of stats(s, 'items')) {
    const [, , name] = k.split(':');
    out[name!] = Number(v);
  }
  return out;
}

function store(ctx: ServerContext): Cache {
  return ctx.store as Cache;
}

function fill(s: Session, prefix: string, n: number, exptime = 0): void {
  let batch = '';
  for (let i = 0; i < n; i++) batch += `set ${prefix}${i} 0 ${exptime} ${VALUE.length} noreply\r\n${VALUE}\r\n`;
  feed(s, [Buffer.from(batch, 'latin1')]);
}

function juggle(ctx: ServerContext, rounds = 5): void {
  for (let i = 0; i < rounds; i++) store(ctx).runLruMaintainer();
}

test('lru tune: the maintainer keeps HOT at the tuned share of the class', () => {
  const { ctx, close } = makeCtx();
  const s = makeSession(ctx);
  fill(s, 'a', 1000);
  juggle(ctx);
  const before = items(s).number_hot!;
  assert.ok(before <= 200, `default 20%: ${before}`);

  assert.equal(text(s, 'lru tune 70 10 0.2 2.0\r\n'), 'OK\r\n');
  fill(s, 'b', 1000);
  juggle(ctx);
  const after = items(s).number_hot!;
  assert.ok(after > 1000 && after <= 1400, `70% of 2000 items: ${after}`);
  assert.equal(stats(s, 'settings').get('hot_lru_pct'), '70');
  close();
});

test('lru tune: the age factors decide when idle items leave HOT', () => {
  const { ctx, clock, close } = makeCtx();
  const s = makeSession(ctx);
  fill(s, 'old', 10);
  juggle(ctx, 1); // the size rule sends most of them to COLD
  clock.advance(10);
  fill(s, 'new', 3); // well within HOT's share
  clock.advance(5);
  // COLD's tail is 15 s old: hot_max_factor 10 lets HOT items idle 150 s
  assert.equal(text(s, 'lru tune 70 10 10 20\r\n'), 'OK\r\n');
  juggle(ctx, 3);
  const kept = items(s).number_hot!;
  assert.ok(kept >= 3, `the new items stay in HOT: ${kept}`);
  // back to 0.2: 3 s is the limit, every HOT item is 5 s idle or more and goes to COLD
  assert.equal(text(s, 'lru tune 70 10 0.2 2\r\n'), 'OK\r\n');
  juggle(ctx, 3);
  assert.equal(items(s).number_hot, 0);
  close();
});

test('lru mode flat: new items enter COLD and the maintainer drains HOT and WARM; segmented again: HOT', () => {
  const { ctx, close } = makeCtx();
  const s = makeSession(ctx);
  fill(s, 'a', 50);
  text(s, 'get a0\r\nget a0\r\n'); // active: goes to WARM
  juggle(ctx);
  let m = items(s);
  assert.ok(m.number_hot! > 0 && m.number_warm === 1, JSON.stringify(m));

  assert.equal(text(s, 'lru mode flat\r\n'), 'OK\r\n');
  fill(s, 'b', 10);
  m = items(s);
  assert.equal(m.number_cold! + m.number_hot! + m.number_warm!, 60);
  juggle(ctx);
  m = items(s);
  assert.deepEqual([m.number_hot, m.number_warm, m.number_cold], [0, 0, 60]);
  assert.equal(stats(s, 'settings').get('lru_segmented'), 'no');

  assert.equal(text(s, 'lru mode segmented\r\n'), 'OK\r\n');
  fill(s, 'c', 10);
  assert.equal(items(s).number_hot, 10);
  close();
});

test('lru mode flat: the COLD tail is reclaimed before each allocation (reclaimed counts it)', () => {
  const { ctx, close } = makeCtx();
  const s = makeSession(ctx);
  assert.equal(text(s, 'lru mode flat\r\n'), 'OK\r\n');
  fill(s, 'a', 1);
  assert.equal(text(s, 'flush_all\r\n'), 'OK\r\n');
  fill(s, 'b', 1);
  const st = stats(s);
  assert.equal(st.get('reclaimed'), '1');
  assert.equal(st.get('curr_items'), '1');
  close();
});

test('lru temp_ttl: short-TTL items go to the TEMP LRU, are reclaimed there once expired; -1 turns it off', () => {
  const { ctx, clock, close } = makeCtx();
  const s = makeSession(ctx);
  assert.equal(text(s, 'lru temp_ttl 100\r\n'), 'OK\r\n');
  fill(s, 't', 20, 30);
  fill(s, 'long', 5, 1000);
  fill(s, 'never', 2);
  let m = items(s);
  assert.equal(m.number_temp, 20);
  assert.equal(m.number_hot, 7, 'long and no TTL: HOT');
  clock.advance(31);
  juggle(ctx, 1);
  m = items(s);
  assert.equal(m.number_temp, 0);
  assert.equal(m.reclaimed, 20);
  assert.equal(stats(s, 'settings').get('temp_lru'), 'yes');

  const hot = m.number_hot!;
  assert.equal(text(s, 'lru temp_ttl -1\r\n'), 'OK\r\n');
  fill(s, 'u', 4, 30);
  m = items(s);
  assert.equal(m.number_temp, undefined, 'stats items shows number_temp only with temp_lru');
  assert.equal(m.number_hot, hot + 4);
  assert.equal(m.number, 11);
  close();
});

test('lru_crawler enable/disable: stats settings follows, and crawling starts and stops', () => {
  const { ctx, clock, close } = makeCtx({ lruCrawler: false });
  const s = makeSession(ctx);
  fill(s, 'e', 30, 1);
  fill(s, 'k', 10);
  clock.advance(3);
  assert.equal(stats(s, 'settings').get('lru_crawler'), 'no');
  assert.equal(text(s, 'lru_crawler crawl all\r\n'), 'CLIENT_ERROR lru crawler disabled\r\n');
  assert.equal(stats(s).get('lru_crawler_starts'), undefined, 'memcached shows crawler stats only when it runs');

  assert.equal(text(s, 'lru_crawler enable\r\n'), 'OK\r\n');
  assert.equal(text(s, 'lru_crawler enable\r\n'), 'ERROR failed to start lru crawler thread\r\n');
  assert.equal(stats(s, 'settings').get('lru_crawler'), 'yes');
  assert.equal(text(s, 'lru_crawler crawl all\r\n'), 'OK\r\n');
  store(ctx).crawlSlice(performance.now() + 1000);
  let st = stats(s);
  assert.equal(st.get('crawler_reclaimed'), '30');
  assert.equal(st.get('curr_items'), '10');
  assert.equal(st.get('lru_crawler_starts'), '1');

  assert.equal(text(s, 'lru_crawler disable\r\n'), 'OK\r\n');
  assert.equal(stats(s, 'settings').get('lru_crawler'), 'no');
  fill(s, 'f', 5, 1);
  clock.advance(120); // long past the periodic crawl's interval: no crawl starts while disabled
  for (let i = 0; i < 3; i++) store(ctx).maintain();
  st = stats(s);
  assert.equal(st.get('curr_items'), '15');
  assert.equal(text(s, 'lru_crawler crawl all\r\n'), 'CLIENT_ERROR lru crawler disabled\r\n');
  close();
});

test('binary FLUSH with a delay moves the flush point text flush_all moves: items go invisible when it passes', () => {
  const FLUSH = 0x08;
  const runs: Array<{ oldest: string; before: string; after: string }> = [];
  for (const kind of ['binary', 'text'] as const) {
    const { ctx, clock, close } = makeCtx();
    const s = makeSession(ctx);
    fill(s, 'k', 3);
    clock.advance(5);
    if (kind === 'binary') {
      const b = makeSession(ctx);
      const out = feed(b, [req(FLUSH, { ext: u32(10) })]).out;
      assert.equal(out.readUInt16BE(6), 0, 'status success');
    } else {
      assert.equal(text(s, 'flush_all 10\r\n'), 'OK\r\n');
    }
    const oldest = stats(s, 'settings').get('oldest')!;
    const before = text(s, 'get k0\r\n');
    clock.advance(11);
    const after = text(s, 'get k0\r\n');
    runs.push({ oldest, before, after });
    close();
  }
  assert.deepEqual(runs[0], runs[1]);
  assert.notEqual(runs[0]!.oldest, '0');
  assert.equal(runs[0]!.before, `VALUE k0 0 100\r\n${VALUE}\r\nEND\r\n`);
  assert.equal(runs[0]!.after, 'END\r\n');
});

test('binary FLUSH without a delay: items stored before it are gone, stats settings oldest moves', () => {
  const { ctx, clock, close } = makeCtx();
  const s = makeSession(ctx);
  fill(s, 'k', 3);
  clock.advance(5);
  const b = makeSession(ctx);
  feed(b, [req(0x08)]);
  assert.notEqual(stats(s, 'settings').get('oldest'), '0');
  assert.equal(text(s, 'get k0 k1 k2\r\n'), 'END\r\n');
  fill(s, 'n', 1);
  assert.equal(text(s, 'get n0\r\n'), `VALUE n0 0 100\r\n${VALUE}\r\nEND\r\n`);
  close();
});

/**
 * One class of old items on several pages, another class evicting young items: the automover
 * (once a second, over its 30-sample window) moves pages from the old class to the evicting one
 * when the young age is below old age * ratio. Returns slabs_moved and the old class's pages.
 */
function automoveRun(commands: string[], overrides: Parameters<typeof makeCtx>[0] = {}): { moved: number; oldPages: number } {
  const { ctx, clock, close } = makeCtx({ memLimitBytes: 8 * 1024 * 1024, ...overrides });
  const s = makeSession(ctx);
  for (const c of commands) assert.equal(text(s, c + '\r\n'), 'OK\r\n');
  fill(s, 'old', 25000); // about four pages of 100-byte values
  juggle(ctx, 20);
  const oldClass = [...stats(s, 'slabs').keys()].find((k) => k.endsWith(':total_pages'))!.split(':')[0]!;
  clock.advance(100);
  const big = 'b'.repeat(2000);
  let n = 0;
  for (let sec = 0; sec < 40; sec++) {
    clock.advance(1);
    let batch = '';
    for (let i = 0; i < 400; i++) batch += `set young${n++} 0 0 ${big.length} noreply\r\n${big}\r\n`;
    feed(s, [Buffer.from(batch, 'latin1')]);
    store(ctx).maintain();
  }
  const moved = Number(stats(s).get('slabs_moved'));
  const oldPages = Number(stats(s, 'slabs').get(`${oldClass}:total_pages`));
  close();
  return { moved, oldPages };
}

test('slabs automove ratio: pages move from the oldest class to the evicting one only when it is young enough', () => {
  const moving = automoveRun(['slabs automove ratio 0.8']);
  assert.ok(moving.moved > 0, `ratio 0.8: ${JSON.stringify(moving)}`);
  const still = automoveRun(['slabs automove ratio 0']);
  assert.equal(still.moved, 0, 'ratio 0: no class is ever young enough');
  assert.ok(still.oldPages > moving.oldPages, `${still.oldPages} > ${moving.oldPages}`);
});

test('-o slab_automove_ratio is what the automover uses; slabs automove 0 stops it', () => {
  assert.equal(automoveRun([], { slabAutomoveRatio: 0 }).moved, 0);
  assert.ok(automoveRun([], { slabAutomoveRatio: 0.8 }).moved > 0);
  assert.equal(automoveRun(['slabs automove 0']).moved, 0);
});
