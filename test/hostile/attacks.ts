// Attacks shared by the battery (assertions) and measure.ts (peak RSS per attack).
import { RawClient } from '../support/client.js';
import { SeededRandom } from '../support/random.js';

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
