// MEMCACHED_PORT_FILENAME and ephemeral ports (-p -1, -U -1), side by side with Debian's
// memcached: the same lines in the same order, ports that really answer, no `.lck` left behind,
// and memcached's bind failure for other negative ports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type Daemon } from '../support/daemon.js';
import { freePort } from '../support/ports.js';
import { sleep } from '../support/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'mcts-portfile-'));
// memcached opens the file after dropping privileges: let any -u user write here.
chmodSync(dir, 0o1777);
let serial = 0;

const ipv6Loopback = await new Promise<boolean>((resolve) => {
  const s = net.createServer();
  s.once('error', () => resolve(false));
  s.listen({ host: '::1', port: 0 }, () => s.close(() => resolve(true)));
});

interface Started {
  daemon: Daemon;
  lines: string[];
}

async function startWithPortFile(args: string[], memcached: boolean): Promise<Started> {
  const file = join(dir, 'ports.' + serial++);
  const daemon = await startDaemon({ args, memcached, waitTcp: false, env: { MEMCACHED_PORT_FILENAME: file } });
  const deadline = Date.now() + 10_000;
  while (!existsSync(file)) {
    if (daemon.proc.exitCode !== null || Date.now() > deadline) {
      await daemon.stop();
      throw new Error('no port file: ' + daemon.stderr());
    }
    await sleep(25);
  }
  const lines = readFileSync(file, 'latin1').split('\n');
  assert.equal(lines.pop(), '', 'the file ends with a newline');
  assert.equal(existsSync(file + '.lck'), false, 'the temporary name is renamed away');
  return { daemon, lines };
}

/** "TCP INET: 40123" → ["TCP INET", 40123]. */
function parseLine(line: string): [string, number] {
  const m = /^(TCP|UDP) (INET6?): ([0-9]+)$/.exec(line);
  assert.ok(m !== null, 'line format: ' + JSON.stringify(line));
  return [m[1] + ' ' + m[2], Number(m[3])];
}

function tcpVersion(port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, host);
    let got = '';
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (got.endsWith('\r\n')) {
        s.destroy();
        resolve(got);
      }
    });
    s.on('error', reject);
    s.setTimeout(5000, () => {
      s.destroy();
      reject(new Error('no reply'));
    });
    s.write('version\r\n');
  });
}

function udpVersion(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      reject(new Error('no UDP reply'));
    }, 5000);
    s.on('message', (msg) => {
      clearTimeout(t);
      s.close();
      resolve(msg.subarray(8).toString('latin1'));
    });
    s.send(Buffer.concat([Buffer.from([0, 1, 0, 0, 0, 1, 0, 0]), Buffer.from('version\r\n')]), port, '127.0.0.1');
  });
}

for (const memcached of [false, true]) {
  const who = memcached ? 'memcached' : 'memcachedts';

  test(`${who}: -p -1 -U -1 binds ephemeral TCP and UDP ports, listed TCP first, and both answer`, async () => {
    const { daemon, lines } = await startWithPortFile(['-l', '127.0.0.1', '-p', '-1', '-U', '-1'], memcached);
    try {
      assert.deepEqual(lines.map((l) => parseLine(l)[0]), ['TCP INET', 'UDP INET']);
      const tcpPort = parseLine(lines[0]!)[1];
      const udpPort = parseLine(lines[1]!)[1];
      assert.ok(tcpPort > 0 && udpPort > 0);
      assert.match(await tcpVersion(tcpPort, '127.0.0.1'), /^VERSION 1\.6\.18\r\n$/);
      assert.match(await udpVersion(udpPort), /^VERSION 1\.6\.18\r\n$/);
    } finally {
      await daemon.stop();
    }
  });

  test(`${who}: -U -1 alone makes TCP ephemeral too (TCP follows -U when -p is not given)`, async () => {
    const { daemon, lines } = await startWithPortFile(['-l', '127.0.0.1', '-U', '-1'], memcached);
    try {
      assert.deepEqual(lines.map((l) => parseLine(l)[0]), ['TCP INET', 'UDP INET']);
      assert.notEqual(parseLine(lines[0]!)[1], 11211);
    } finally {
      await daemon.stop();
    }
  });

  test(`${who}: a line per listener and family, fixed ports as given, -p 0 leaves TCP out`, { skip: !ipv6Loopback && 'no ::1' }, async () => {
    const port = await freePort();
    const both = await startWithPortFile(['-l', '127.0.0.1,[::1]', '-p', String(port)], memcached);
    try {
      assert.deepEqual(both.lines, ['TCP INET: ' + port, 'TCP INET6: ' + port]);
    } finally {
      await both.daemon.stop();
    }
    const udpOnly = await startWithPortFile(['-l', '127.0.0.1', '-p', '0', '-U', String(port)], memcached);
    try {
      assert.deepEqual(udpOnly.lines, ['UDP INET: ' + port]);
    } finally {
      await udpOnly.daemon.stop();
    }
  });

  test(`${who}: other negative ports fail to bind with getaddrinfo's message, exit 71`, async () => {
    for (const [args, line] of [
      [['-l', '127.0.0.1', '-p', '-2'], 'failed to listen on one of interface(s) 127.0.0.1: Success'],
      [['-l', '127.0.0.1:-5'], 'failed to listen on one of interface(s) 127.0.0.1:-5: Success'],
    ] as const) {
      const daemon = await startDaemon({ args: [...args], memcached, waitTcp: false });
      const code = await new Promise<number | null>((resolve) => {
        if (daemon.proc.exitCode !== null) resolve(daemon.proc.exitCode);
        else daemon.proc.once('exit', (c) => resolve(c));
      });
      assert.equal(code, 71, args.join(' '));
      assert.equal(daemon.stderr(), 'getaddrinfo(): Servname not supported for ai_socktype\n' + line + '\n');
    }
  });
}

test.after(() => rmSync(dir, { recursive: true, force: true }));
