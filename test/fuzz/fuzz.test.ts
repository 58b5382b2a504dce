// Seeded fuzzing of the text, meta and binary parsers through a Session (no sockets).
//  - Valid sequences, fed whole and split at every byte offset (and in random pieces): the
//    replies must be exactly the whole-feed replies (no desync).
//  - Mutated sequences (byte flips, truncations, duplicated and garbage tokens, huge numbers,
//    lying lengths, random bytes), fed whole and split at every byte offset: never a throw,
//    never a hang, the same replies whatever the split when the whole feed ended between
//    requests, and afterwards a fresh session works and the store is intact.
// FUZZ_ITERATIONS (default 60 per protocol and property) and FUZZ_SEED set the run; a
// failing input is written to $TMPDIR/memcachedts-fuzz-*.bin for test/fuzz/corpus/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validSequence, mutate, freshContext, drive, checkHealthy, splitAt, randomSplit, type Protocol } from './gen.js';
import { SeededRandom } from '../support/random.js';

const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 60);
const SEED = Number(process.env.FUZZ_SEED ?? 20261128);
/** A mutated input whose whole-feed takes longer than this is reported as a hang. */
const SLOW_MS = 2000;

function keep(name: string, input: Buffer): string {
  const file = path.join(os.tmpdir(), `memcachedts-fuzz-${name}.bin`);
  fs.writeFileSync(file, input);
  return file;
}

function seqLen(proto: Protocol): number {
  return proto === 'binary' ? 6 : 8;
}

for (const proto of ['text', 'meta', 'binary'] as const) {
  test(`${proto}: valid requests split at every byte offset get exactly the whole-feed replies`, () => {
    const rng = new SeededRandom(SEED ^ proto.length);
    for (let it = 0; it < ITERATIONS; it++) {
      const input = validSequence(rng, proto, seqLen(proto));
      const wholeCtx = freshContext();
      const whole = drive(wholeCtx, [input]);
      wholeCtx.store.close();
      assert.equal(whole.action, 0, `valid input closed the connection: ${JSON.stringify(input.toString('latin1'))}`);
      for (let k = 1; k < input.length; k++) {
        const ctx = freshContext();
        const split = drive(ctx, splitAt(input, k));
        if (!split.out.equals(whole.out) || split.action !== whole.action) {
          const file = keep(`desync-${proto}-${it}`, input);
          assert.fail(`desync at offset ${k} of ${file}:\nwhole ${JSON.stringify(whole.out.toString('latin1'))}\nsplit ${JSON.stringify(split.out.toString('latin1'))}`);
        }
        ctx.store.close();
      }
      const ctx = freshContext();
      const pieces = drive(ctx, randomSplit(rng, input));
      assert.ok(pieces.out.equals(whole.out), `desync in random pieces: ${keep(`desync-pieces-${proto}-${it}`, input)}`);
      assert.equal(checkHealthy(ctx), null);
      ctx.store.close();
    }
  });

  test(`${proto}: mutated requests, whole and split at every offset: no throw, no hang, store intact`, () => {
    const rng = new SeededRandom(SEED * 31 + proto.length);
    let errors = 0; // inputs that reached an error reply or a close
    for (let it = 0; it < ITERATIONS; it++) {
      let input = validSequence(rng, proto, seqLen(proto));
      const rounds = 1 + rng.int(3);
      for (let m = 0; m < rounds; m++) input = mutate(rng, input, proto);
      const name = `${proto}-${SEED}-${it}`;
      try {
        const ctx = freshContext();
        const t0 = Date.now();
        const whole = drive(ctx, [input]);
        if (Date.now() - t0 > SLOW_MS) assert.fail(`slow input ${keep('slow-' + name, input)}`);
        if (whole.action !== 0 || whole.out.includes('ERROR')) errors++;
        const health = checkHealthy(ctx);
        if (health !== null) assert.fail(`after ${keep('unhealthy-' + name, input)}: ${health}`);
        ctx.store.close();
        for (let k = 1; k < input.length; k++) {
          const c2 = freshContext();
          const split = drive(c2, splitAt(input, k));
          // When the whole feed ended between requests with the connection open, chunking
          // must not change a byte. (Otherwise replies held during an unfinished value block,
          // or a batch dropped by a close, legitimately depend on where the input stopped.)
          if (whole.idle && whole.action === 0 && (!split.out.equals(whole.out) || split.action !== 0)) {
            assert.fail(`desync at offset ${k} of ${keep('desync-mut-' + name, input)}:\nwhole ${JSON.stringify(whole.out.toString('latin1'))}\nsplit ${JSON.stringify(split.out.toString('latin1'))}`);
          }
          if (k % 16 === 0) {
            const h = checkHealthy(c2);
            if (h !== null) assert.fail(`after ${keep('unhealthy-split-' + name, input)} split at ${k}: ${h}`);
          }
          c2.store.close();
        }
      } catch (e) {
        if (e instanceof assert.AssertionError) throw e;
        const file = keep('crash-' + name, input);
        throw new Error(`crash on ${file}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      }
    }
    // The mutations must reach the error paths, not only the happy one.
    assert.ok(errors >= ITERATIONS / 4, `only ${errors} of ${ITERATIONS} mutated inputs reached an error path`);
  });
}
