// memcachedts and Debian's memcached side by side, for the differential tests: the same flags
// and environment to both, started together, stopped together.
import fs from 'node:fs';
import { after, before } from 'node:test';
import { MEMCACHED_BIN, startDaemon, type Daemon, type DaemonOptions } from './daemon.js';

/**
 * A test's `skip` option: the reason when memcached is not installed, else false. Under CI=true
 * it is always false, so a missing memcached fails the run instead of skipping it.
 */
export const SKIP_WITHOUT_MEMCACHED: string | false =
  !fs.existsSync(MEMCACHED_BIN) && process.env.CI !== 'true' ? 'memcached not installed' : false;

export interface Pair {
  readonly ours: Daemon;
  readonly theirs: Daemon;
}

export type PairOptions = Omit<DaemonOptions, 'memcached' | 'port'>;

/** Both servers with the same options; if one fails to start, the other is stopped. */
export async function startPair(opts: PairOptions = {}): Promise<Pair> {
  const [ours, theirs] = await Promise.allSettled([startDaemon(opts), startDaemon({ ...opts, memcached: true })]);
  if (ours.status === 'fulfilled' && theirs.status === 'fulfilled') return { ours: ours.value, theirs: theirs.value };
  if (ours.status === 'fulfilled') await ours.value.stop();
  if (theirs.status === 'fulfilled') await theirs.value.stop();
  throw ours.status === 'rejected' ? ours.reason : (theirs as PromiseRejectedResult).reason;
}

export async function stopPair(pair: Pair | null): Promise<void> {
  if (pair !== null) await Promise.all([pair.ours.stop(), pair.theirs.stop()]);
}

/**
 * The pair for the tests of this file: started before them (unless SKIP_WITHOUT_MEMCACHED says
 * why not), stopped after them. Call the result inside a test to get it.
 */
export function pairForFile(opts: PairOptions = {}): () => Pair {
  let pair: Pair | null = null;
  before(async () => {
    if (SKIP_WITHOUT_MEMCACHED === false) pair = await startPair(opts);
  });
  after(() => stopPair(pair));
  return () => {
    if (pair === null) throw new Error('the memcached / memcachedts pair did not start');
    return pair;
  };
}
