// Attacks shared by the battery (assertions) and measure.ts (peak RSS per attack).
import net from 'node:net';
import { RawClient } from '../support/client.js';
import { SeededRandom } from '../support/random.js';
import { req } from '../support/binary-packets.js';
import { Opcode } from '../../src/protocol/binary/header.js';

/** `rounds` connections each send 8 KiB of seeded random bytes (~2% newlines), then hang up. */
export async function sendGarbage(port: number, rounds: number, seed: number): Promise<void> {
  const random = new SeededRandom(seed);
  for (let round = 0; round < rounds; round++) {
    const c = await RawClient.connect(port);
    const junk = Buffer.alloc(8192);
    for (let i = 0; i < junk.length; i++) junk[i] = random.chance(0.02) ? 10 : random.int(256);
    if (junk[0] === 0x80) junk[0] = 0x81; // stay on the text protocol
    c.send(junk);
    await c.drain(30);
    c.close();
  }
}

/**
 * A binary SET announcing a 4 GB body, then up to 4 MiB of it while the server keeps the
 * connection; returns what the server answered within 500 ms.
 */
export async function sendHugeBinaryBody(c: RawClient): Promise<Buffer> {
  c.send(req(Opcode.Set, { keyLen: 1, extLen: 8, bodyLen: 0xfffffff0, opaque: 0 })); // the header alone
  for (let i = 0; i < 64 && !c.closed; i++) c.send(Buffer.alloc(64 * 1024));
  return c.drain(500);
}

/** n connections that each send half a request line (slowloris); destroy them when done. */
export function openHalfLines(port: number, n: number): net.Socket[] {
  const slow: net.Socket[] = [];
  for (let i = 0; i < n; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    s.write('get slow');
    slow.push(s);
  }
  return slow;
}
