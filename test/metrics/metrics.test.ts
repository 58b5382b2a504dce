// -o metrics_listen: GET /metrics serves memcached_exporter's families (names, help, types and
// labels from its source, kept in exporter-families.ts) with the numbers `stats` shows, plus the
// memcachedts_ extras; scraped with node's http client, curl and promtool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, parseStats } from '../support/client.js';
import { startOnLoopback } from '../support/server.js';
import { haveTool, run } from '../support/tools.js';
import { sleep } from '../support/wait.js';
import { EXPORTER_COMMAND_LABELS, EXPORTER_FAMILIES, EXPORTER_LRU_LABELS, EXPORTER_SLAB_COMMAND_LABELS } from './exporter-families.js';
import { scrape, valueOf, type Family } from './exposition.js';

/** `stats <group>` as name -> value text (and `replyBytes`: the length of the reply). */
async function stats(c: RawClient, group = ''): Promise<Map<string, string>> {
  const text = await c.request(group === '' ? 'stats\r\n' : `stats ${group}\r\n`);
  return parseStats(text).set('replyBytes', String(Buffer.byteLength(text, 'latin1')));
}

/** A known sequence touching every outcome memcached_commands_total breaks down. */
async function knownSequence(c: RawClient): Promise<void> {
  assert.equal(await c.request('flush_all\r\n', 'OK'), 'OK\r\n');
  assert.equal(await c.request('set small 0 0 1\r\nx\r\n', 'STORED'), 'STORED\r\n');
  assert.equal(await c.request(`set large 0 0 5000\r\n${'y'.repeat(5000)}\r\n`, 'STORED'), 'STORED\r\n');
  assert.equal(await c.request('set n 0 0 1\r\n5\r\n', 'STORED'), 'STORED\r\n');
  await c.request('get small\r\n'); // hit
  await c.request('get small large\r\n'); // 2 hits
  await c.request('get nope\r\n'); // miss
  assert.equal(await c.request('incr n 2\r\n', '7'), '7\r\n');
  assert.equal(await c.request('incr nope 1\r\n', 'NOT_FOUND'), 'NOT_FOUND\r\n');
  assert.equal(await c.request('decr n 1\r\n', '6'), '6\r\n');
  assert.equal(await c.request('decr nope 1\r\n', 'NOT_FOUND'), 'NOT_FOUND\r\n');
  assert.equal(await c.request('touch small 100\r\n', 'TOUCHED'), 'TOUCHED\r\n');
  assert.equal(await c.request('touch nope 100\r\n', 'NOT_FOUND'), 'NOT_FOUND\r\n');
  const gets = await c.request('gets small\r\n');
  const cas = /VALUE small 0 1 (\d+)/.exec(gets)![1]!;
  assert.equal(await c.request(`cas small 0 0 1 ${cas}\r\nz\r\n`, 'STORED'), 'STORED\r\n');
  assert.equal(await c.request(`cas small 0 0 1 ${cas}\r\nw\r\n`, 'EXISTS'), 'EXISTS\r\n');
  assert.equal(await c.request('cas nope 0 0 1 1\r\nw\r\n', 'NOT_FOUND'), 'NOT_FOUND\r\n');
  assert.equal(await c.request('delete n\r\n', 'DELETED'), 'DELETED\r\n');
  assert.equal(await c.request('delete nope\r\n', 'NOT_FOUND'), 'NOT_FOUND\r\n');
}

function labelNames(f: Family): string[] {
  const names = new Set<string>();
  for (const s of f.samples) for (const k of Object.keys(s.labels)) names.add(k);
  return [...names].sort();
}

test("every family memcached_exporter serves for memcached 1.6 is there, with its help, type and labels", async () => {
  const srv = await startOnLoopback({}, { metrics: true });
  const { port, metricsPort } = srv;
  const c = await RawClient.connect(port);
  try {
    await knownSequence(c);
    const families = await scrape(metricsPort);
    // temporary_items needs -o temporary_ttl (checked below); extstore and proxy are not built in.
    const expected = EXPORTER_FAMILIES.filter((f) => f.only === undefined && f.name !== 'memcached_slab_temporary_items');
    for (const want of expected) {
      const got = families.get(want.name);
      assert.ok(got !== undefined, `missing family ${want.name}`);
      assert.equal(got.help, want.help, `help of ${want.name}`);
      assert.equal(got.type, want.type, `type of ${want.name}`);
      assert.ok(got.samples.length > 0, `no samples for ${want.name}`);
      assert.deepEqual(labelNames(got), [...want.labels].sort(), `labels of ${want.name}`);
    }
    const known = new Set(EXPORTER_FAMILIES.map((f) => f.name));
    const invented = [...families.keys()].filter((n) => n.startsWith('memcached_') && !known.has(n));
    assert.deepEqual(invented, [], 'memcached_ families the exporter does not have');
    for (const name of families.keys()) assert.match(name, /^memcached(ts)?_/);

    const pairs = (f: Family): string[] => f.samples.map((s) => s.labels.command + '/' + s.labels.status).sort();
    assert.deepEqual(pairs(families.get('memcached_commands_total')!), [...EXPORTER_COMMAND_LABELS].sort());
    const slabCommands = families.get('memcached_slab_commands_total')!;
    const slabs = [...new Set(slabCommands.samples.map((s) => s.labels.slab!))];
    assert.ok(slabs.length >= 2, 'the small and the large value live in two slab classes');
    for (const slab of slabs) {
      const bySlab = { ...slabCommands, samples: slabCommands.samples.filter((s) => s.labels.slab === slab) };
      assert.deepEqual(pairs(bySlab), [...EXPORTER_SLAB_COMMAND_LABELS].sort(), `slab ${slab}`);
    }
    const lrus = new Set(families.get('memcached_slab_lru_hits_total')!.samples.map((s) => s.labels.lru));
    assert.deepEqual([...lrus].sort(), [...EXPORTER_LRU_LABELS].sort());
    assert.equal(valueOf(families, 'memcached_version', { version: '1.6.18' }), 1);
    assert.equal(valueOf(families, 'memcached_up'), 1);
  } finally {
    c.close();
    await srv.close(false);
  }
});

test('-o temporary_ttl adds memcached_slab_temporary_items; no_lru_crawler drops the crawler settings, as the exporter does', async () => {
  const srv = await startOnLoopback({ tempLru: true, temporaryTtl: 61, lruCrawler: false }, { metrics: true });
  const { port, metricsPort } = srv;
  const c = await RawClient.connect(port);
  try {
    assert.equal(await c.request('set t 0 30 1\r\nx\r\n', 'STORED'), 'STORED\r\n');
    const families = await scrape(metricsPort);
    const temp = families.get('memcached_slab_temporary_items');
    assert.ok(temp !== undefined && temp.samples.length > 0);
    assert.equal(temp.help, 'Number of items presently stored in the TEMPORARY LRU.');
    assert.equal(families.has('memcached_lru_crawler_enabled'), false);
    assert.equal(families.has('memcached_lru_crawler_sleep'), false);
  } finally {
    c.close();
    await srv.close(false);
  }
});

test('values are the numbers stats, stats settings, stats slabs and stats items show', async () => {
  const srv = await startOnLoopback({}, { metrics: true });
  const { port, metricsPort } = srv;
  const c = await RawClient.connect(port);
  try {
    await knownSequence(c);
    const settings = await stats(c, 'settings');
    const slabStats = await stats(c, 'slabs');
    const itemStats = await stats(c, 'items');
    const general = await stats(c); // last: nothing is read or written between it and the scrape
    const m = await scrape(metricsPort);
    const n = (map: Map<string, string>, key: string): number => {
      const v = map.get(key);
      assert.ok(v !== undefined, `stats has no ${key}`);
      return Number(v);
    };
    const cmd = (command: string, status: string): number => valueOf(m, 'memcached_commands_total', { command, status });

    // What the sequence did, and that stats agrees.
    assert.equal(cmd('get', 'hit'), 4); // get, get of two keys, gets
    assert.equal(cmd('get', 'miss'), 1);
    assert.equal(cmd('incr', 'hit'), 1);
    assert.equal(cmd('decr', 'miss'), 1);
    assert.equal(cmd('cas', 'hit'), 1);
    assert.equal(cmd('cas', 'badval'), 1);
    assert.equal(cmd('cas', 'miss'), 1);
    assert.equal(cmd('flush', 'hit'), 1);
    assert.equal(cmd('set', 'hit'), 3); // three sets; the cas commands are not counted again
    assert.equal(valueOf(m, 'memcached_current_items'), 2);
    for (const op of ['get', 'delete', 'incr', 'decr', 'cas', 'touch']) {
      assert.equal(cmd(op, 'hit'), n(general, op + '_hits'), op + '_hits');
      assert.equal(cmd(op, 'miss'), n(general, op + '_misses'), op + '_misses');
    }
    assert.equal(cmd('cas', 'badval'), n(general, 'cas_badval'));
    assert.equal(cmd('flush', 'hit'), n(general, 'cmd_flush'));
    assert.equal(cmd('set', 'hit'), n(general, 'cmd_set') - n(general, 'cas_hits') - n(general, 'cas_misses') - n(general, 'cas_badval'));

    const sameAsStats: Array<[string, string]> = [
      ['memcached_current_items', 'curr_items'],
      ['memcached_items_total', 'total_items'],
      ['memcached_current_bytes', 'bytes'],
      ['memcached_limit_bytes', 'limit_maxbytes'],
      ['memcached_current_connections', 'curr_connections'],
      ['memcached_connections_total', 'total_connections'],
      ['memcached_read_bytes_total', 'bytes_read'],
      ['memcached_items_evicted_total', 'evictions'],
      ['memcached_items_reclaimed_total', 'reclaimed'],
      ['memcached_item_too_large_total', 'store_too_large'],
      ['memcached_connections_yielded_total', 'conn_yields'],
      ['memcached_accepting_connections', 'accepting_conns'],
      ['memcached_lru_crawler_items_checked_total', 'crawler_items_checked'],
    ];
    for (const [metric, stat] of sameAsStats) assert.equal(valueOf(m, metric), n(general, stat), `${metric} = stats ${stat}`);
    // `stats` prints bytes_written before its own reply is written; the scrape comes after it.
    assert.equal(valueOf(m, 'memcached_written_bytes_total'), n(general, 'bytes_written') + n(general, 'replyBytes'));
    assert.ok(Math.abs(valueOf(m, 'memcached_uptime_seconds') - n(general, 'uptime')) <= 1);
    assert.ok(Math.abs(valueOf(m, 'memcached_time_seconds') - n(general, 'time')) <= 1);
    assert.ok(valueOf(m, 'memcached_process_user_cpu_seconds_total') >= n(general, 'rusage_user'));
    assert.equal(valueOf(m, 'memcached_max_connections'), n(settings, 'maxconns'));
    assert.equal(valueOf(m, 'memcached_lru_crawler_hot_percent'), n(settings, 'hot_lru_pct'));
    assert.equal(valueOf(m, 'memcached_lru_crawler_warm_max_factor'), n(settings, 'warm_max_factor'));
    assert.equal(valueOf(m, 'memcached_malloced_bytes'), n(slabStats, 'total_malloced'));

    const slabIds = [...slabStats.keys()].map((k) => /^(\d+):chunk_size$/.exec(k)?.[1]).filter((x) => x !== undefined);
    assert.ok(slabIds.length >= 2);
    for (const id of slabIds) {
      const slab = { slab: id };
      assert.equal(valueOf(m, 'memcached_slab_chunk_size_bytes', slab), n(slabStats, `${id}:chunk_size`));
      assert.equal(valueOf(m, 'memcached_slab_current_pages', slab), n(slabStats, `${id}:total_pages`));
      assert.equal(valueOf(m, 'memcached_slab_chunks_used', slab), n(slabStats, `${id}:used_chunks`));
      assert.equal(valueOf(m, 'memcached_slab_chunks_free', slab), n(slabStats, `${id}:free_chunks`));
      assert.equal(valueOf(m, 'memcached_slab_commands_total', { ...slab, command: 'get', status: 'hit' }), n(slabStats, `${id}:get_hits`));
      assert.equal(
        valueOf(m, 'memcached_slab_commands_total', { ...slab, command: 'set', status: 'hit' }),
        n(slabStats, `${id}:cmd_set`) - n(slabStats, `${id}:cas_hits`) - n(slabStats, `${id}:cas_badval`),
      );
    }
    // The LRU maintainer moves items out of HOT on its own timer, and the serving loop runs it while
    // the metrics thread answers: the scrape's HOT count is the one before or the one after it.
    const itemsAfter = await stats(c, 'items');
    const itemIds = [...itemStats.keys()].map((k) => /^items:(\d+):number$/.exec(k)?.[1]).filter((x) => x !== undefined);
    assert.equal(itemIds.length, 2);
    for (const id of itemIds) {
      const slab = { slab: id };
      assert.equal(valueOf(m, 'memcached_slab_current_items', slab), n(itemStats, `items:${id}:number`));
      assert.equal(valueOf(m, 'memcached_slab_mem_requested_bytes', slab), n(itemStats, `items:${id}:mem_requested`));
      const hot = valueOf(m, 'memcached_slab_hot_items', slab);
      assert.ok([n(itemStats, `items:${id}:number_hot`), n(itemsAfter, `items:${id}:number_hot`)].includes(hot), `hot items ${hot}`);
      assert.equal(valueOf(m, 'memcached_slab_lru_hits_total', { ...slab, lru: 'hot' }), n(itemStats, `items:${id}:hits_to_hot`));
    }
  } finally {
    c.close();
    await srv.close(false);
  }
});

test('promtool check metrics reads the output (curl scrape): no format errors, lint only on names the exporter itself uses', async (t) => {
  if (!haveTool(t, '/usr/bin/promtool', 'promtool (Debian package prometheus)') || !haveTool(t, '/usr/bin/curl', 'curl')) return;
  const srv = await startOnLoopback({}, { metrics: true });
  const { port, metricsPort } = srv;
  const c = await RawClient.connect(port);
  try {
    await knownSequence(c);
    const curl = await run('/usr/bin/curl', ['-sS', '--max-time', '5', '-D', '-', `http://127.0.0.1:${metricsPort}/metrics`], { timeoutMs: 10_000 });
    assert.equal(curl.code, 0, curl.stderr);
    const split = curl.stdout.indexOf('\r\n\r\n');
    const head = curl.stdout.slice(0, split);
    const body = curl.stdout.slice(split + 4);
    assert.match(head, /^HTTP\/1\.1 200 OK/);
    assert.match(head, /\r\nContent-Type: text\/plain; version=0\.0\.4; charset=utf-8/i);
    assert.ok(body.includes('\nmemcached_current_items 2\n'));

    const check = await run('/usr/bin/promtool', ['check', 'metrics'], { input: body, timeoutMs: 30_000 });
    // 0 = clean, 3 = lint findings only; a malformed exposition is 1.
    assert.ok(check.code === 0 || check.code === 3, `promtool exit ${check.code}: ${check.stdout}${check.stderr}`);
    const findings = (check.stdout + check.stderr).split('\n').filter((l) => l.trim() !== '');
    // The exporter types a few families as counters without _total; we keep its names and types
    // so dashboards match, and promtool says the same of the exporter's own output.
    const exporterCountersWithoutTotal = new Set(
      EXPORTER_FAMILIES.filter((f) => f.type === 'counter' && !f.name.endsWith('_total')).map((f) => f.name),
    );
    for (const line of findings) {
      const name = line.split(' ')[0]!;
      assert.ok(exporterCountersWithoutTotal.has(name) && line.includes('should have "_total" suffix'), `unexpected promtool finding: ${line}`);
    }
  } finally {
    c.close();
    await srv.close(false);
  }
});

test('memcachedts_ extras: refused connections, close reasons, event-loop delay, heap and RSS', async () => {
  const srv = await startOnLoopback({ maxConnections: 2 }, { metrics: true });
  const { port, metricsPort } = srv;
  const clients: RawClient[] = [];
  try {
    let refused = 0;
    for (let i = 0; i < 4; i++) {
      const c = await RawClient.connect(port);
      clients.push(c);
      const reply = await c.drain(100);
      if (reply.toString('latin1') === 'ERROR Too many open connections\r\n') refused++;
    }
    assert.ok(refused >= 1, 'some connections beyond -c 2 are refused');
    const survivor = clients[0]!;
    const general = await stats(survivor);
    // A line too long closes its connection (counted in conns_closed_line_too_long).
    survivor.send('x'.repeat(3000));
    assert.ok(await survivor.closedWithin(2000));

    // Hold the event loop (this process is the server) so the delay histogram sees it.
    const until = performance.now() + 120;
    while (performance.now() < until) {
      /* busy */
    }
    await sleep(60);
    const m = await scrape(metricsPort);
    assert.equal(valueOf(m, 'memcachedts_connections_refused_total'), refused);
    assert.equal(valueOf(m, 'memcachedts_connections_refused_total'), Number(general.get('rejected_connections')));
    assert.equal(valueOf(m, 'memcached_connections_rejected_total'), refused);
    assert.equal(valueOf(m, 'memcachedts_connections_closed_total', { reason: 'line_too_long' }), 1);
    assert.equal(valueOf(m, 'memcachedts_output_buffer_pauses_total'), 0);
    const p99 = valueOf(m, 'memcachedts_event_loop_delay_p99_seconds');
    const max = valueOf(m, 'memcachedts_event_loop_delay_max_seconds');
    assert.ok(max >= 0.05 && max < 5, `max delay ${max}`);
    assert.ok(p99 <= max && valueOf(m, 'memcachedts_event_loop_delay_p50_seconds') <= p99);
    const heapUsed = valueOf(m, 'memcachedts_v8_heap_used_bytes');
    assert.ok(heapUsed > 1e6 && heapUsed <= valueOf(m, 'memcachedts_v8_heap_total_bytes'));
    assert.ok(valueOf(m, 'memcachedts_resident_memory_bytes') > heapUsed);
    assert.ok(valueOf(m, 'memcachedts_external_memory_bytes') > 0);
    assert.equal(m.has('memcachedts_auth_failures_total'), false, 'no auth families without -S or -Y');

    // The histogram restarts at each scrape: a quiet loop reports small delays next time.
    await sleep(200);
    const again = await scrape(metricsPort);
    assert.ok(valueOf(again, 'memcachedts_event_loop_delay_max_seconds') < max);
  } finally {
    for (const c of clients) c.close();
    await srv.close(false);
  }
});
