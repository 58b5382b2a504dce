// Peak RSS under each hostile input, ours and memcached 1.6.18 side by side, for
// docs/reliability.md. Not a test: `npx tsc -p . && node dist/test/hostile/measure.js`.
import fs from 'node:fs';
import net from 'node:net';
import { startDaemon, type Daemon } from '../support/daemon.js';
import { RawClient } from '../support/client.js';
import { sleep } from '../support/wait.js';
import { openHalfLines, sendGarbage, sendHugeBinaryBody } from './attacks.js';

function rssKb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}



type Attack = (d: Daemon) => Promise<string>;

/** Stores a 500 KB value `big`, writes request on a socket that never reads, waits 3 s. */
async function neverReading(d: Daemon, request: string): Promise<string> {
  const c = await RawClient.connect(d.port);
  await c.request(`set big 0 0 500000\r\n${'x'.repeat(500_000)}\r\n`, 'STORED');
  const sock = net.connect(d.port, '127.0.0.1');
  sock.on('error', () => {});
  await new Promise((r) => sock.once('connect', r));
  sock.pause();
  sock.write(request);
  await sleep(3000);
  sock.destroy();
  c.close();
  return '1.5 GB of replies unread';
}

const attacks: Record<string, { args: string[]; run: Attack }> = {
  'garbage 20 x 8 KiB': {
    args: [],
    run: async (d) => {
      await sendGarbage(d.port, 20, 42);
      return 'ERROR / CLIENT_ERROR lines, closes';
    },
  },
  '10 MB line, no newline': {
    args: [],
    run: async (d) => {
      const c = await RawClient.connect(d.port);
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      for (let i = 0; i < 10 && !c.closed; i++) {
        c.socket.write(chunk);
        await sleep(10);
      }
      return (await c.closedWithin(3000)) ? 'closed, no reply' : 'still open';
    },
  },
  '10 MB get line': {
    args: [],
    run: async (d) => {
      const c = await RawClient.connect(d.port);
      c.send('get ');
      const keys = Buffer.from('k123456789 '.repeat(1_000_000 / 11 * 10));
      for (let off = 0; off < keys.length && !c.closed; off += 256 * 1024) {
        c.socket.write(keys.subarray(off, off + 256 * 1024));
        await sleep(5);
      }
      c.send('\r\n');
      const closed = await c.closedWithin(5000);
      const reply = (await c.drain(100)).toString('latin1').slice(0, 20);
      return closed ? 'closed' + (reply ? ' after ' + JSON.stringify(reply) : '') : 'answered ' + JSON.stringify(reply);
    },
  },
  '3000 keys in one get': {
    args: [],
    run: async (d) => {
      const c = await RawClient.connect(d.port);
      let sets = '';
      for (let i = 0; i < 3000; i += 3) sets += `set key${i} 0 0 ${String(i).length}\r\n${i}\r\n`;
      c.send(sets);
      for (let i = 0; i < 3000; i += 3) await c.line();
      c.send(`get ${Array.from({ length: 3000 }, (_, i) => `key${i}`).join(' ')}\r\n`);
      for (;;) if ((await c.line()) === 'END') break;
      return '1000 VALUEs, END';
    },
  },
  '4 GB binary body': {
    args: [],
    run: async (d) => {
      const c = await RawClient.connect(d.port);
      const reply = await sendHugeBinaryBody(c);
      return reply.length >= 34 ? 'status ' + reply.readUInt16BE(6) + ' ' + reply.subarray(24, 34).toString() : c.closed ? 'closed' : 'nothing yet';
    },
  },
  'slowloris 200 half lines': {
    args: ['-c', '400'],
    run: async (d) => {
      const slow = openHalfLines(d.port, 200);
      await sleep(1000);
      for (const s of slow) s.destroy();
      return 'others served';
    },
  },
  'flood 140 conns, -c 100': {
    args: ['-c', '100'],
    run: async (d) => {
      const socks: RawClient[] = [];
      for (let i = 0; i < 140; i++) socks.push(await RawClient.connect(d.port));
      for (const s of socks) s.send('version\r\n');
      let refused = 0;
      for (const s of socks) if ((await s.line(3000).catch(() => 'closed')).startsWith('ERROR Too many')) refused++;
      for (const s of socks) s.close();
      return `${refused} refused with ERROR Too many open connections`;
    },
  },
  'never-reading client, get of 3000 x 500 KB': {
    args: [],
    run: (d) => neverReading(d, 'get ' + Array(3000).fill('big').join(' ') + '\r\n'),
  },
  'never-reading client, 3000 pipelined gets of 500 KB': {
    args: [],
    run: (d) => neverReading(d, 'get big\r\n'.repeat(3000)),
  },
};

async function measure(memcached: boolean, name: string, a: { args: string[]; run: Attack }): Promise<string> {
  const d = await startDaemon({ args: ['-m', '64', ...a.args], memcached });
  const pid = d.proc.pid!;
  try {
    await sleep(200);
    const base = rssKb(pid);
    let peak = base;
    const timer = setInterval(() => (peak = Math.max(peak, rssKb(pid))), 20);
    let outcome: string;
    try {
      outcome = await a.run(d);
    } catch (e) {
      outcome = 'client error: ' + (e instanceof Error ? e.message : String(e));
    }
    await sleep(200);
    clearInterval(timer);
    const alive = d.proc.exitCode === null;
    let answers = false;
    if (alive) {
      const c = await RawClient.connect(d.port);
      answers = (await c.request('version\r\n', 'VERSION 1.6.18').catch(() => '')) === 'VERSION 1.6.18\r\n';
      c.close();
    }
    return `| ${name} | ${memcached ? 'memcached' : 'memcachedts'} | ${(base / 1024).toFixed(0)} | ${(peak / 1024).toFixed(0)} | ${outcome} | ${answers ? 'yes' : 'NO'} |`;
  } finally {
    await d.stop();
  }
}

console.log('| attack | server | base RSS MiB | peak RSS MiB | answer | serves after |');
console.log('|---|---|---|---|---|---|');
for (const [name, a] of Object.entries(attacks)) {
  for (const mc of [false, true]) console.log(await measure(mc, name, a));
}
