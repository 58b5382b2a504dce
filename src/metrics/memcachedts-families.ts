// What memcached_exporter cannot see, under our own prefix: authentication outcomes, throttled
// peers, connections refused or closed by memcachedts, output-buffer pauses, and the Node
// process (event-loop delay, V8 heap, resident memory). Counters come from stats/counters.ts
// (the figures `stats` and `stats memcachedts` print), never from a second tally.

import type { FamilySpec, LabelSet, SampleSink, ScrapeInput } from './family.js';

const PLAIN: LabelSet = { mechanism: 'PLAIN' };
const ASCII: LabelSet = { mechanism: 'ascii' };

/**
 * The mechanism the server authenticates with: -S is SASL PLAIN (binary only), -Y memcached's
 * ascii token; memcached refuses to start with both, so every attempt counted in auth_cmds
 * belongs to the one in use. (A SASL attempt naming a mechanism memcachedts does not offer is
 * a PLAIN failure here, as it is an auth_errors in `stats`.)
 */
function mechanismOf(input: ScrapeInput): LabelSet | null {
  if (input.ctx.sasl !== null) return PLAIN;
  if (input.ctx.asciiAuth !== null) return ASCII;
  return null;
}

const hasAuth = (input: ScrapeInput): boolean => mechanismOf(input) !== null;

function authFamily(name: string, help: string, value: (cmds: number, errors: number) => number): FamilySpec {
  return {
    name,
    help,
    type: 'counter',
    labelNames: ['mechanism'],
    isPresent: hasAuth,
    fill: (input, out) => {
      const mechanism = mechanismOf(input);
      if (mechanism === null) return;
      const c = input.ctx.counters;
      out(Math.max(0, value(c.auth_cmds, c.auth_errors)), mechanism);
    },
  };
}

function processGauge(name: string, help: string, pick: (input: ScrapeInput) => number): FamilySpec {
  return { name, help, type: 'gauge', labelNames: [], fill: (input, out: SampleSink) => out(pick(input)) };
}

const CLOSE_REASONS = [
  [{ reason: 'line_too_long' }, 'conns_closed_line_too_long'],
  [{ reason: 'protocol_error' }, 'conns_closed_protocol_error'],
  [{ reason: 'idle' }, 'conns_closed_idle'],
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
    fill: (input, out) => out(input.ctx.authThrottle.throttledPeerCount(Date.now())),
  },
  {
    name: 'memcachedts_connections_refused_total',
    help: 'Connections refused with "ERROR Too many open connections" because -c was reached.',
    type: 'counter',
    labelNames: [],
    fill: (input, out) => out(input.ctx.counters.rejected_connections),
  },
  {
    name: 'memcachedts_connections_closed_total',
    help: 'Connections memcachedts closed, by reason (line too long, protocol error, idle_timeout).',
    type: 'counter',
    labelNames: ['reason'],
    fill: (input, out) => {
      const c = input.ctx.counters;
      for (const [labels, field] of CLOSE_REASONS) out(c[field], labels);
    },
  },
  {
    name: 'memcachedts_output_buffer_pauses_total',
    help: 'Times a connection stopped being read because the client was not reading its replies.',
    type: 'counter',
    labelNames: [],
    fill: (input, out) => out(input.ctx.counters.out_buffer_pauses),
  },
  processGauge('memcachedts_event_loop_delay_p50_seconds', 'Median event-loop delay since the previous scrape.',
    (input) => input.process.loopDelayP50Sec),
  processGauge('memcachedts_event_loop_delay_p99_seconds', '99th percentile event-loop delay since the previous scrape.',
    (input) => input.process.loopDelayP99Sec),
  processGauge('memcachedts_event_loop_delay_max_seconds', 'Largest event-loop delay since the previous scrape.',
    (input) => input.process.loopDelayMaxSec),
  processGauge('memcachedts_v8_heap_used_bytes', 'V8 heap in use (item memory lives outside it, in slab pages).',
    (input) => input.process.heapUsedBytes),
  processGauge('memcachedts_v8_heap_total_bytes', 'V8 heap reserved.', (input) => input.process.heapTotalBytes),
  processGauge('memcachedts_external_memory_bytes', 'Memory outside the V8 heap held by JavaScript objects (slab pages, buffers).',
    (input) => input.process.externalBytes),
  processGauge('memcachedts_resident_memory_bytes', 'Resident set size of the process.', (input) => input.process.residentBytes),
];
