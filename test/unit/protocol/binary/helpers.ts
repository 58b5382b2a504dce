// Helpers for the binary protocol unit tests: a server context over a real store, a Session
// fed directly, and request / response codecs for expected bytes.
import type { ServerContext } from '../../../../src/server-context.js';
import type { Authenticator, SourceReport } from '../../../../src/auth/authenticator.js';
import type { Settings } from '../../../../src/config/settings.js';
import type { VerboseLog } from '../../../../src/log/verbose.js';
import { makeSettings } from '../../../../src/config/settings.js';
import { createStore } from '../../../../src/store/cache.js';
import { RuntimeSettings } from '../../../../src/config/runtime-settings.js';
import { PrefixStats } from '../../../../src/stats/prefix-stats.js';
import { ManualClock } from '../../../../src/store/clock.js';
import { Counters } from '../../../../src/stats/counters.js';
import { WatchLog } from '../../../../src/log/watch.js';
import { Session } from '../../../../src/protocol/session.js';
import { SessionAction } from '../../../../src/protocol/reader-contract.js';
import { FRONT_ENDS } from '../../../../src/protocol/front-ends.js';
import { BufferBudget } from '../../../../src/protocol/conn-buffers.js';
import { AuthThrottle } from '../../../../src/protocol/auth-throttle.js';

export class CaptureLog implements VerboseLog {
  level: number;
  lines: string[] = [];
  constructor(level = 0) {
    this.level = level;
  }
  line(text: string): void {
    this.lines.push(text);
  }
  warn(text: string): void {
    this.lines.push(text);
  }
  error(text: string): void {
    this.lines.push(text);
  }
}

/** An Authenticator with fixed users (the real one is tested in test/unit/auth). */
export class FakeAuth implements Authenticator {
  readonly mechanisms: readonly string[];
  private readonly users: Map<string, string>;
  constructor(users: Record<string, string>, mechanisms: readonly string[] = ['PLAIN']) {
    this.users = new Map(Object.entries(users));
    this.mechanisms = mechanisms;
  }
  checkPlain(authzid: string, authcid: string, password: string): boolean {
    if (authzid !== '' && authzid !== authcid) return false;
    return this.users.get(authcid) === password;
  }
  checkCramMd5(): boolean | undefined {
    return undefined;
  }
  reload(): void {}
  sources(): readonly SourceReport[] {
    return [];
  }
  sourceErrors(): number {
    return 0;
  }
}

export interface TestCtx {
  ctx: ServerContext;
  log: CaptureLog;
  clock: ManualClock;
  close(): void;
}

export function makeCtx(overrides: Partial<Settings> = {}, sasl: Authenticator | null = null, logLevel = 0): TestCtx {
  const settings = makeSettings({ lruCrawler: false, ...(sasl !== null ? { saslEnabled: true, bindingProtocol: 'binary' as const } : {}), ...overrides });
  const clock = new ManualClock();
  const runtime = new RuntimeSettings(settings);
  const store = createStore(settings, runtime, clock);
  const log = new CaptureLog(logLevel);
  const ctx: ServerContext = {
    settings,
    runtime,
    store,
    counters: new Counters(),
    prefixStats: new PrefixStats(settings.prefixDelimiter),
    sasl,
    asciiAuth: null,
    authThrottle: new AuthThrottle(),
    log,
    watch: new WatchLog(store, settings.watcherLogbufSize, settings.workerLogbufSize),
    sessions: new Set(),
    bufferBudget: BufferBudget.forSettings(settings),
    startedAtMs: Date.now(),
    requestShutdown: () => {},
  };
  return { ctx, log, clock, close: () => store.close() };
}

let nextId = 40;
export function newSession(ctx: ServerContext): Session {
  return new Session(ctx, { id: nextId++, transport: 'tcp', peer: 'tcp:127.0.0.1:50123', listenAddr: 'tcp:127.0.0.1:11211' }, FRONT_ENDS);
}

export interface FeedResult {
  out: Buffer;
  action: SessionAction;
}

/** Feeds chunks one by one, collecting everything written; stops at a close. */
export function feed(session: Session, chunks: Buffer[]): FeedResult {
  const parts: Buffer[] = [];
  let action: SessionAction = SessionAction.Continue;
  for (const c of chunks) {
    action = session.onData(c);
    while (action === SessionAction.Continue && session.hasYielded) action = session.resume();
    const taken = session.out.take();
    if (taken !== null) for (const b of taken) parts.push(Buffer.from(b));
    if (action !== SessionAction.Continue) break;
  }
  return { out: Buffer.concat(parts), action };
}

export interface Req {
  key?: string | Buffer;
  ext?: Buffer;
  value?: string | Buffer;
  opaque?: number;
  cas?: bigint;
  keyLen?: number;
  extLen?: number;
  bodyLen?: number;
  magic?: number;
}

function bytes(x: string | Buffer | undefined): Buffer {
  if (x === undefined) return Buffer.alloc(0);
  return typeof x === 'string' ? Buffer.from(x, 'latin1') : x;
}

export function req(opcode: number, r: Req = {}): Buffer {
  const key = bytes(r.key);
  const ext = r.ext ?? Buffer.alloc(0);
  const value = bytes(r.value);
  const h = Buffer.alloc(24);
  h[0] = r.magic ?? 0x80;
  h[1] = opcode;
  h.writeUInt16BE(r.keyLen ?? key.length, 2);
  h[4] = r.extLen ?? ext.length;
  h.writeUInt32BE(r.bodyLen ?? key.length + ext.length + value.length, 8);
  h.writeUInt32BE(r.opaque ?? 0xdeadbeef, 12);
  h.writeBigUInt64BE(r.cas ?? 0n, 16);
  return Buffer.concat([h, ext, key, value]);
}

export function u32(...n: number[]): Buffer {
  const b = Buffer.alloc(4 * n.length);
  n.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

export function deltaExt(delta: bigint, initial: bigint, exptime: number): Buffer {
  const b = Buffer.alloc(20);
  b.writeBigUInt64BE(delta, 0);
  b.writeBigUInt64BE(initial, 8);
  b.writeUInt32BE(exptime >>> 0, 16);
  return b;
}

export interface Res {
  magic: number;
  opcode: number;
  keyLen: number;
  extLen: number;
  datatype: number;
  status: number;
  bodyLen: number;
  opaque: number;
  cas: bigint;
  ext: Buffer;
  key: Buffer;
  value: Buffer;
}

/** Splits a response stream into packets; throws on a truncated one. */
export function parseResponses(buf: Buffer): Res[] {
  const out: Res[] = [];
  let p = 0;
  while (p < buf.length) {
    if (buf.length - p < 24) throw new Error(`truncated header at ${p}`);
    const keyLen = buf.readUInt16BE(p + 2);
    const extLen = buf[p + 4]!;
    const bodyLen = buf.readUInt32BE(p + 8);
    if (buf.length - p < 24 + bodyLen) throw new Error(`truncated body at ${p}`);
    const b = p + 24;
    out.push({
      magic: buf[p]!,
      opcode: buf[p + 1]!,
      keyLen,
      extLen,
      datatype: buf[p + 5]!,
      status: buf.readUInt16BE(p + 6),
      bodyLen,
      opaque: buf.readUInt32BE(p + 12),
      cas: buf.readBigUInt64BE(p + 16),
      ext: buf.subarray(b, b + extLen),
      key: buf.subarray(b + extLen, b + extLen + keyLen),
      value: buf.subarray(b + extLen + keyLen, b + bodyLen),
    });
    p = b + bodyLen;
  }
  return out;
}

/** A response as memcached writes it. */
export function res(opcode: number, status: number, r: { ext?: Buffer; key?: string | Buffer; value?: string | Buffer; cas?: bigint; opaque?: number } = {}): Buffer {
  const key = bytes(r.key);
  const ext = r.ext ?? Buffer.alloc(0);
  const value = bytes(r.value);
  const h = Buffer.alloc(24);
  h[0] = 0x81;
  h[1] = opcode;
  h.writeUInt16BE(key.length, 2);
  h[4] = ext.length;
  h.writeUInt16BE(status, 6);
  h.writeUInt32BE(key.length + ext.length + value.length, 8);
  h.writeUInt32BE(r.opaque ?? 0xdeadbeef, 12);
  h.writeBigUInt64BE(r.cas ?? 0n, 16);
  return Buffer.concat([h, ext, key, value]);
}
