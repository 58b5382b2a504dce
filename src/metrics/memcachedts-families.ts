// What memcached_exporter cannot see, under our own prefix: authentication outcomes, throttled
// peers, connections refused or closed by memcachedts, output-buffer pauses, and the Node
// process (event-loop delay, V8 heap, resident memory). Counters come from stats/counters.ts
// (the figures `stats` and `stats memcachedts` print), sampled on the serving thread with the
// stats (snapshot-taker.ts), never from a second tally.

import type { FamilySpec, FamilyType, SampleSink, ScrapeInput } from './family.js';
import { ValueLabelSets } from './label-sets.js';
import type { ServingSample } from './snapshot-wire.js';

/**
 * By the mechanism in use (metrics-server.ts): memcached refuses to start with both -S and -Y,
 * so every attempt counted in auth_cmds belongs to the one in use. (A SASL attempt naming a
 * mechanism memcachedts does not offer is a PLAIN failure here, as it is an auth_errors in `stats`.)
 */
const MECHANISM = new ValueLabelSets('mechanism');

const hasAuth = (input: ScrapeInput): boolean => input.mechanism !== null;

function authFamily(name: string, help: string, value: (cmds: number, errors: number) => number): FamilySpec {
  return {
    name,
    help,
    type: 'counter',
    labelNames: ['mechanism'],
    isPresent: hasAuth,
    fill: (input, out) => {
      if (input.mechanism === null) return;
      const s = input.serving;
      out(Math.max(0, value(s.authCmds, s.authErrors)), MECHANISM.of(input.mechanism));
    },
  };
}

function servingFamily(name: string, help: string, type: FamilyType, field: keyof ServingSample): FamilySpec {
  return { name, help, type, labelNames: [], fill: (input, out: SampleSink) => out(input.serving[field]) };
}

/** Families of one unlabelled figure sampled on the serving thread: name, type, field, help. */
const SERVING_FAMILIES: ReadonlyArray<readonly [string, FamilyType, keyof ServingSample, string]> = [
  ['memcachedts_output_buffer_pauses_total', 'counter', 'outBufferPauses',
    'Times a connection stopped being read because the client was not reading its replies.'],
  ['memcachedts_event_loop_delay_p50_seconds', 'gauge', 'loopDelayP50Sec',
    'Median delay of the serving event loop since the previous scrape.'],
  ['memcachedts_event_loop_delay_p99_seconds', 'gauge', 'loopDelayP99Sec',
    '99th percentile delay of the serving event loop since the previous scrape.'],
  ['memcachedts_event_loop_delay_max_seconds', 'gauge', 'loopDelayMaxSec',
    'Largest delay of the serving event loop since the previous scrape.'],
  ['memcachedts_v8_heap_used_bytes', 'gauge', 'heapUsedBytes',
    'V8 heap in use by the serving thread (not the metrics thread heap; item memory lives outside it, in slab pages).'],
  ['memcachedts_v8_heap_total_bytes', 'gauge', 'heapTotalBytes', 'V8 heap reserved by the serving thread.'],
  ['memcachedts_external_memory_bytes', 'gauge', 'externalBytes',
    'Memory outside the V8 heap held by JavaScript objects of the serving thread (slab pages, buffers).'],
  ['memcachedts_resident_memory_bytes', 'gauge', 'residentBytes',
    'Resident set size of the whole process (serving and metrics threads).'],
];

const CLOSE_REASONS = [
  [{ reason: 'line_too_long' }, 'closedLineTooLong'],
  [{ reason: 'protocol_error' }, 'closedProtocolError'],
  [{ reason: 'idle' }, 'closedIdle'],
] as const;

export const MEMCACHEDTS_FAMILIES: readonly FamilySpec[] = [
  authFamily('memcachedts_auth_successes_total', 'Authentication attempts that succeeded, by mechanism (-S PLAIN, -Y ascii).',
    (cmds, errors) => cmds - errors),
  authFamily('memcachedts_auth_failures_total', 'Authentication attempts that failed, by mechanism (auth_errors).',
    (_cmds, errors) => errors),
  {
    name: 'memcachedts_auth_throttled_peers',
    help: 'Peer addresses whose failed authentication replies are being delayed now (repeated failures).',
    type: 'gauge',
    labelNames: [],
    isPresent: hasAuth,
    fill: (input, out) => out(input.serving.throttledPeers),
  },
  servingFamily('memcachedts_connections_refused_total',
    'Connections refused with "ERROR Too many open connections" because -c was reached.', 'counter', 'connectionsRefused'),
  {
    name: 'memcachedts_connections_closed_total',
    help: 'Connections memcachedts closed, by reason (line too long, protocol error, idle_timeout).',
    type: 'counter',
    labelNames: ['reason'],
    fill: (input, out) => {
      for (const [labels, field] of CLOSE_REASONS) out(input.serving[field], labels);
    },
  },
  ...SERVING_FAMILIES.map(([name, type, field, help]) => servingFamily(name, help, type, field)),
];
