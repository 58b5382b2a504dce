// Password-guessing load for the auth tests and the figures in docs/reliability.md: wrong SASL
// PLAIN logins at a fixed rate, each over a new connection (from a fixed or a rotating loopback
// source address), while an authenticated client sends `version` and times the replies.
import net from 'node:net';
import { Opcode } from '../../src/protocol/binary/header.js';
import { req } from '../support/binary-packets.js';
import { sleep } from '../support/wait.js';

export const plainAuth = (user: string, password: string): Buffer => req(Opcode.SaslAuth, { key: 'PLAIN', value: `\0${user}\0${password}` });

/** Sends one request and resolves with the whole first binary reply (header + body). */
export function oneReply(sock: net.Socket, packet: Buffer, timeoutMs: number): Promise<Buffer | null> {
  return new Promise((resolve) => {
    let got = Buffer.alloc(0);
    const done = (v: Buffer | null): void => {
      clearTimeout(timer);
      sock.off('data', onData);
      sock.off('close', onClose);
      resolve(v);
    };
    const onData = (d: Buffer): void => {
      got = Buffer.concat([got, d]);
      if (got.length >= 24 && got.length >= 24 + got.readUInt32BE(8)) done(got.subarray(0, 24 + got.readUInt32BE(8)));
    };
    const onClose = (): void => done(null);
    const timer = setTimeout(() => done(null), timeoutMs);
    sock.on('data', onData);
    sock.on('close', onClose);
    sock.write(packet);
  });
}

export function connect(port: number, localAddress?: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', ...(localAddress !== undefined ? { localAddress } : {}) });
    s.setNoDelay(true);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

export interface LoadResult {
  /** `version` round trips of the authenticated client, ms. */
  latencies: number[];
  /** Wrong logins sent, and answered (with Auth failure) within the run. */
  sent: number;
  answered: number;
}

export interface LoadOptions {
  port: number;
  /** The victim's credentials. */
  user: string;
  password: string;
  /** What each attacker connection sends. */
  attack: Buffer;
  perSecond: number;
  durationMs: number;
  /** Source address of the i-th attacker connection (default 127.0.0.1). */
  source?: (i: number) => string;
}

export async function runLoginLoad(o: LoadOptions): Promise<LoadResult> {
  const victim = await connect(o.port);
  const ok = await oneReply(victim, plainAuth(o.user, o.password), 30_000);
  if (ok === null || ok.readUInt16BE(6) !== 0) throw new Error('the victim could not authenticate');
  const latencies: number[] = [];
  let sent = 0;
  let answered = 0;
  const open = new Set<net.Socket>();
  const pending: Array<Promise<void>> = [];
  const endAt = Date.now() + o.durationMs;
  const attacker = setInterval(() => {
    if (Date.now() >= endAt) return;
    const i = sent++;
    const src = o.source?.(i) ?? '127.0.0.1';
    pending.push(
      connect(o.port, src).then(
        async (s) => {
          open.add(s);
          s.on('error', () => {});
          const r = await oneReply(s, o.attack, o.durationMs + 10_000);
          if (r !== null) answered++;
          open.delete(s);
          s.destroy();
        },
        () => {},
      ),
    );
  }, 1000 / o.perSecond);
  const versionPacket = req(Opcode.Version);
  while (Date.now() < endAt) {
    const t0 = process.hrtime.bigint();
    const r = await oneReply(victim, versionPacket, 30_000);
    if (r === null) throw new Error('the victim lost its connection');
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    await sleep(10);
  }
  clearInterval(attacker);
  for (const s of open) s.destroy();
  await Promise.all(pending);
  victim.destroy();
  return { latencies, sent, answered };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)]!;
}
