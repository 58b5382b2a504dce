// The concurrency stress run (issue #20, item 3): many connections doing random get/gets/set/
// add/cas/append/prepend/delete/touch on a small set of hot keys, incr on counters no other
// command touches, and sets of filler keys that push the store into evicting, checking the
// invariants on every reply:
//   - every value read verifies (stress-values.ts): whole, written by some client for its key,
//     its flags naming a base piece it holds;
//   - a CAS token means one version: the same token never comes with another key or value;
//   - per connection and key, tokens never go backwards (a later read is never of an older
//     version: tokens only increase);
//   - every incr returns a value no other incr of that counter returned, and after the run
//     each counter equals its start plus the sum of the acknowledged increments;
//   - every reply comes within REPLY_TIMEOUT_MS (no hang).
// The stats checks after the run are the test's (concurrency-stress.test.ts).
import assert from 'node:assert/strict';
import { RawClient } from '../support/client.js';
import { SeededRandom } from '../support/random.js';
import { baseFlags, checkValue, makePiece, PieceKind } from './stress-values.js';

export const HOT_KEYS = 24;
export const COUNTERS = 4;
export const COUNTER_START = 1_000_000;
const FILLER_KEYS = 20_000;
const REPLY_TIMEOUT_MS = 10_000;
const PREFILL_BATCH = 200;
const PREFILL_BATCHES_MAX = 40;
/** The writer number of the pre-run filler (connections are 0..connections-1). */
const PREFILL_WRITER = 255;

export const hotKey = (i: number): string => 'hot:' + String(i).padStart(2, '0');
export const counterKey = (i: number): string => 'ctr:' + i;

interface Value {
  readonly flags: number;
  readonly value: string;
  readonly cas: string | null;
}

/** What a run saw, for the test's assertions and its diagnostics. */
export interface StressReport {
  ops: number;
  /** Replies by command and outcome, e.g. 'cas EXISTS'. */
  readonly outcomes: Map<string, number>;
  /** Acknowledged increments per counter. */
  readonly counterSums: number[];
}

/** State all connections share: token -> the version it names; values incr returned. */
class Ledger {
  private readonly versionOfCas = new Map<string, string>();
  readonly incrResults: Array<Set<number>> = Array.from({ length: COUNTERS }, () => new Set());

  noteVersion(key: string, v: Value): void {
    if (v.cas === null) return;
    const version = key + ' ' + v.flags + ' ' + v.value;
    const seen = this.versionOfCas.get(v.cas);
    if (seen === undefined) this.versionOfCas.set(v.cas, version);
    else assert.ok(seen === version, `cas ${v.cas} names two versions:\n  ${seen.slice(0, 120)}\n  ${version.slice(0, 120)}`);
  }
}

/** One connection's loop. writer (< 256) tags the pieces it writes. */
class StressConnection {
  private readonly client: RawClient;
  private readonly writer: number;
  private readonly random: SeededRandom;
  private readonly ledger: Ledger;
  private readonly report: StressReport;
  private seq = 0;
  /** Highest cas this connection saw per key. */
  private readonly lastCas = new Map<string, bigint>();

  constructor(client: RawClient, writer: number, ledger: Ledger, report: StressReport) {
    this.client = client;
    this.writer = writer;
    this.random = new SeededRandom(1000 + writer);
    this.ledger = ledger;
    this.report = report;
  }

  private count(what: string): void {
    this.report.outcomes.set(what, (this.report.outcomes.get(what) ?? 0) + 1);
  }

  private async line(): Promise<string> {
    return this.client.line(REPLY_TIMEOUT_MS);
  }

  /** A one-line reply that must be one of allowed. */
  private async expect(command: string, request: string, allowed: readonly string[]): Promise<string> {
    this.client.send(request);
    const reply = await this.line();
    assert.ok(allowed.includes(reply), `${command}: unexpected reply ${JSON.stringify(reply)}`);
    this.count(command + ' ' + reply);
    return reply;
  }

  /** get/gets of one key: the value (verified), or null on a miss. */
  private async read(command: 'get' | 'gets', key: string): Promise<Value | null> {
    this.client.send(command + ' ' + key + '\r\n');
    const head = await this.line();
    if (head === 'END') {
      this.count(command + ' miss');
      return null;
    }
    const m = /^VALUE (\S+) (\d+) (\d+)(?: (\d+))?$/.exec(head);
    assert.ok(m !== null && m[1] === key, `${command} ${key}: bad header ${JSON.stringify(head)}`);
    const bytes = Number(m[3]);
    const data = (await this.client.read(bytes + 2, REPLY_TIMEOUT_MS)).toString('latin1');
    assert.equal(data.slice(bytes), '\r\n', `${command} ${key}: value not followed by CRLF`);
    assert.equal(await this.line(), 'END');
    const v: Value = { flags: Number(m[2]), value: data.slice(0, bytes), cas: m[4] ?? null };
    const why = checkValue(key, v.value, v.flags);
    assert.equal(why, null, `${command} ${key} read a value no client wrote (${why}): ${v.value.slice(0, 200)}`);
    if (v.cas !== null) {
      const cas = BigInt(v.cas);
      const last = this.lastCas.get(key) ?? -1n;
      assert.ok(cas >= last, `${key}: cas went back from ${last} to ${cas} on one connection`);
      this.lastCas.set(key, cas);
      this.ledger.noteVersion(key, v);
    }
    this.count(command + ' hit');
    return v;
  }

  private piece(key: string, kind: PieceKind, maxPayload: number): string {
    return makePiece(key, this.writer, ++this.seq, kind, 40 + this.random.int(maxPayload), this.random);
  }

  private storeRequest(command: string, key: string, flags: number, value: string, cas = ''): string {
    return `${command} ${key} ${flags} 0 ${value.length}${cas === '' ? '' : ' ' + cas}\r\n${value}\r\n`;
  }

  private async hotOp(key: string): Promise<void> {
    const r = this.random.next();
    if (r < 0.2) {
      await this.read('get', key);
    } else if (r < 0.4) {
      await this.read('gets', key);
    } else if (r < 0.6) {
      const command = r < 0.55 ? 'set' : 'add';
      const value = this.piece(key, PieceKind.Base, 200);
      const allowed = command === 'set' ? ['STORED'] : ['STORED', 'NOT_STORED'];
      await this.expect(command, this.storeRequest(command, key, baseFlags(this.writer, this.seq), value), allowed);
    } else if (r < 0.7) {
      const v = await this.read('gets', key);
      if (v === null || v.cas === null) return;
      const value = this.piece(key, PieceKind.Base, 200);
      await this.expect('cas', this.storeRequest('cas', key, baseFlags(this.writer, this.seq), value, v.cas), ['STORED', 'EXISTS', 'NOT_FOUND']);
    } else if (r < 0.85) {
      const isAppend = r < 0.8;
      const command = isAppend ? 'append' : 'prepend';
      const value = this.piece(key, isAppend ? PieceKind.Append : PieceKind.Prepend, 30);
      await this.expect(command, this.storeRequest(command, key, 0, value), ['STORED', 'NOT_STORED']);
    } else if (r < 0.93) {
      await this.expect('delete', `delete ${key}\r\n`, ['DELETED', 'NOT_FOUND']);
    } else {
      await this.expect('touch', `touch ${key} 0\r\n`, ['TOUCHED', 'NOT_FOUND']);
    }
  }

  private async incr(counter: number): Promise<void> {
    const delta = 1 + this.random.int(5);
    this.client.send(`incr ${counterKey(counter)} ${delta}\r\n`);
    const reply = await this.line();
    assert.match(reply, /^\d+$/, `incr ${counterKey(counter)}: ${reply} (a counter was evicted? then -m or the key counts are wrong)`);
    const results = this.ledger.incrResults[counter]!;
    const n = Number(reply);
    assert.ok(!results.has(n), `incr ${counterKey(counter)} returned ${n} twice`);
    results.add(n);
    this.report.counterSums[counter]! += delta;
    this.count('incr');
  }

  /** Runs ops until the deadline. */
  async run(deadline: number): Promise<void> {
    while (Date.now() < deadline) {
      const r = this.random.next();
      if (r < 0.7) await this.hotOp(hotKey(this.random.int(HOT_KEYS)));
      else if (r < 0.8) await this.incr(this.random.int(COUNTERS));
      else {
        const key = 'fill:' + this.random.int(FILLER_KEYS);
        if (r < 0.92) {
          const { value, flags } = fillerValue(key, this.writer, ++this.seq, this.random);
          await this.expect('set', this.storeRequest('set', key, flags, value), ['STORED']);
        } else {
          await this.read('get', key);
        }
      }
      this.report.ops++;
    }
  }
}

/** A filler value for key (4-12 KB, one base piece) and its flags. */
function fillerValue(key: string, writer: number, seq: number, random: SeededRandom): { value: string; flags: number } {
  return { value: makePiece(key, writer, seq, PieceKind.Base, 4000 + random.int(8000), random), flags: baseFlags(writer, seq) };
}

/**
 * Fills the store with filler until it evicts (pipelined batches; bounded), so the run evicts
 * from its first second however slowly it goes.
 */
async function fillUntilEvicting(c: RawClient): Promise<void> {
  const random = new SeededRandom(99);
  for (let batch = 0; batch < PREFILL_BATCHES_MAX; batch++) {
    for (let i = 0; i < PREFILL_BATCH; i++) {
      const key = 'fill:' + (batch * PREFILL_BATCH + i) % FILLER_KEYS;
      const { value, flags } = fillerValue(key, PREFILL_WRITER, batch * PREFILL_BATCH + i + 1, random);
      c.send(`set ${key} ${flags} 0 ${value.length}\r\n${value}\r\n`);
    }
    for (let i = 0; i < PREFILL_BATCH; i++) assert.equal(await c.line(REPLY_TIMEOUT_MS), 'STORED');
    const stats = await c.request('stats\r\n', 'END', REPLY_TIMEOUT_MS);
    if (!/\r\nSTAT evictions 0\r\n/.test(stats)) return;
  }
  assert.fail('the filler did not make the store evict');
}

/** Sets the counters and fills the store, then runs `connections` connections against port for seconds. */
export async function runStress(port: number, connections: number, seconds: number): Promise<StressReport> {
  const report: StressReport = { ops: 0, outcomes: new Map(), counterSums: new Array<number>(COUNTERS).fill(0) };
  const setup = await RawClient.connect(port);
  try {
    for (let i = 0; i < COUNTERS; i++) {
      assert.equal(await setup.request(`set ${counterKey(i)} 0 0 7\r\n${COUNTER_START}\r\n`, 'STORED'), 'STORED\r\n');
    }
    await fillUntilEvicting(setup);
  } finally {
    setup.close();
  }
  const ledger = new Ledger();
  const clients = await Promise.all(Array.from({ length: connections }, () => RawClient.connect(port)));
  const deadline = Date.now() + seconds * 1000;
  try {
    await Promise.all(clients.map((c, i) => new StressConnection(c, i, ledger, report).run(deadline)));
  } finally {
    for (const c of clients) c.close();
  }
  return report;
}

/** After a run: every hot key reads back whole (or is gone). */
export async function checkHotKeys(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    for (let i = 0; i < HOT_KEYS; i++) {
      const key = hotKey(i);
      const reply = await c.request(`get ${key}\r\n`, 'END', REPLY_TIMEOUT_MS);
      const m = /^VALUE \S+ (\d+) (\d+)\r\n/.exec(reply);
      if (m === null) {
        assert.equal(reply, 'END\r\n');
        continue;
      }
      const value = reply.slice(m[0].length, m[0].length + Number(m[2]));
      assert.equal(checkValue(key, value, Number(m[1])), null, `${key} after the run`);
    }
  } finally {
    c.close();
  }
}
