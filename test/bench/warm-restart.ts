// node dist/test/bench/warm-restart.js [MiB] — a warm restart (-e) of a full cache, side by side
// with Debian's memcached: fills -m MiB (default 1024) with 100-byte values under 16-byte keys
// until evictions start, then times SIGUSR1 → exit (the save), and start → first answered
// request (the restore), and checks that the items are back. The memory file lives in /dev/shm.
import net from 'node:net';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { MEMCACHED_BIN, BIN } from '../support/daemon.js';
import { freePort } from '../support/ports.js';
import { sleep } from '../support/wait.js';

const MEM_MB = Number(process.argv[2] ?? 1024);
const VALUE = Buffer.alloc(100, 'v');
const BATCH = 2000;

function key(i: number): string {
  return 'k' + String(i).padStart(15, '0');
}

/** Sends lines and resolves with the text once `until` matches the accumulated reply. */
function exchange(sock: net.Socket, data: Buffer | string, until: (text: string) => boolean): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (d: Buffer): void => {
      text += d.toString('latin1');
      if (until(text)) {
        sock.off('data', onData);
        resolve(text);
      }
    };
    sock.on('data', onData);
    sock.write(data);
  });
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

function startProc(memcached: boolean, file: string, port: number): ReturnType<typeof spawn> {
  const args = ['-v', '-m', String(MEM_MB), '-e', file, '-p', String(port), '-l', '127.0.0.1', '-U', '0', '-u', process.getuid?.() === 0 ? 'root' : 'nobody'];
  const proc = memcached
    ? spawn(MEMCACHED_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  proc.stderr!.on('data', (d: Buffer) => {
    for (const line of d.toString('latin1').split('\n')) if (line.includes('[restart]')) console.log('  | ' + line);
  });
  return proc;
}

/** Milliseconds from spawn until `version` is answered. */
async function timeToFirstReply(memcached: boolean, file: string, port: number): Promise<{ ms: number; proc: ReturnType<typeof spawn> }> {
  const t0 = performance.now();
  const proc = startProc(memcached, file, port);
  for (;;) {
    try {
      const s = await connect(port);
      await exchange(s, 'version\r\n', (t) => t.includes('\r\n'));
      s.destroy();
      return { ms: performance.now() - t0, proc };
    } catch {
      await sleep(5);
    }
    if (performance.now() - t0 > 120_000) throw new Error('no reply within 120 s');
  }
}

async function stats(port: number): Promise<Record<string, string>> {
  const s = await connect(port);
  const text = await exchange(s, 'stats\r\n', (t) => t.endsWith('END\r\n'));
  s.destroy();
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^STAT (\S+) (.*)\r$/gm)) out[m[1]!] = m[2]!;
  return out;
}

async function fill(port: number): Promise<number> {
  const s = await connect(port);
  let i = 0;
  for (;;) {
    const parts: Buffer[] = [];
    for (let j = 0; j < BATCH; j++, i++) parts.push(Buffer.from(`set ${key(i)} 0 0 100 noreply\r\n`), VALUE, Buffer.from('\r\n'));
    parts.push(Buffer.from('mn\r\n'));
    await exchange(s, Buffer.concat(parts), (t) => t.endsWith('MN\r\n'));
    if (i % (BATCH * 100) === 0) {
      const st = await stats(port);
      if (Number(st['evictions']) > 0) break;
    }
  }
  s.destroy();
  return i;
}

async function run(memcached: boolean): Promise<void> {
  const name = memcached ? 'memcached 1.6.18' : 'memcachedts';
  const dir = mkdtempSync('/dev/shm/mcts-bench-');
  const file = path.join(dir, 'cache');
  const port = await freePort();
  try {
    const first = await timeToFirstReply(memcached, file, port);
    const stored = await fill(port);
    const before = await stats(port);
    const t0 = performance.now();
    const exited = new Promise<void>((resolve) => first.proc.once('exit', () => resolve()));
    first.proc.kill('SIGUSR1');
    await exited;
    const saveMs = performance.now() - t0;
    const fileBytes = existsSync(file) ? statSync(file).size : 0;
    await sleep(1100); // memcached refuses a start in the stop's second
    const second = await timeToFirstReply(memcached, file, port);
    const after = await stats(port);
    const s = await connect(port);
    const probe = await exchange(s, `get ${key(stored - 1)}\r\n`, (t) => t.endsWith('END\r\n'));
    s.destroy();
    const exited2 = new Promise<void>((resolve) => second.proc.once('exit', () => resolve()));
    second.proc.kill('SIGTERM');
    await exited2;
    const gib = fileBytes / 2 ** 30;
    console.log(`${name}: -m ${MEM_MB}, ${before['curr_items']} items of 100 B (${stored} stored, ${before['evictions']} evicted)`);
    console.log(`  save (SIGUSR1 → exit): ${saveMs.toFixed(0)} ms; file ${(fileBytes / 2 ** 20).toFixed(0)} MiB` +
      (memcached ? '' : `, ${(gib / (saveMs / 1000)).toFixed(2)} GiB/s including the drain`));
    console.log(`  start → first reply: ${second.ms.toFixed(0)} ms (cold start was ${first.ms.toFixed(0)} ms)`);
    console.log(`  after restart: curr_items ${after['curr_items']}, hash_power_level ${after['hash_power_level']}, last key ${probe.startsWith('VALUE') ? 'found' : 'MISSING'}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const memcached of [false, true]) await run(memcached);
