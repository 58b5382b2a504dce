// What crosses between the serving loop and the metrics thread. The thread asks for a snapshot
// (handing back the previous one's buffer); the serving loop answers with every line of `stats`,
// `stats settings`, `stats slabs` and `stats items` as numbers in one Float64Array (transferred,
// not copied) and its own figures in a fixed header. The lines' names, and the values that are
// not numbers (version, yes/no settings), change rarely: they travel only when they changed.

/** Figures of the serving thread beyond the stats groups, sampled there once per scrape. */
export interface ServingSample {
  /** Event-loop delay of the serving loop since the previous scrape. */
  loopDelayP50Sec: number;
  loopDelayP99Sec: number;
  loopDelayMaxSec: number;
  /** The serving isolate's V8 heap (the metrics thread has a heap of its own, not counted). */
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  /** Process-wide. */
  residentBytes: number;
  authCmds: number;
  authErrors: number;
  connectionsRefused: number;
  closedLineTooLong: number;
  closedProtocolError: number;
  closedIdle: number;
  outBufferPauses: number;
  throttledPeers: number;
}

/** The header's order of the ServingSample fields. */
export const SERVING_FIELDS: readonly (keyof ServingSample)[] = [
  'loopDelayP50Sec', 'loopDelayP99Sec', 'loopDelayMaxSec', 'heapUsedBytes', 'heapTotalBytes', 'externalBytes',
  'residentBytes', 'authCmds', 'authErrors', 'connectionsRefused', 'closedLineTooLong', 'closedProtocolError',
  'closedIdle', 'outBufferPauses', 'throttledPeers',
];

export function emptyServingSample(): ServingSample {
  const sample = {} as Record<keyof ServingSample, number>;
  for (const field of SERVING_FIELDS) sample[field] = 0;
  return sample;
}

/** The stats groups, in the order their lines follow each other in the values. */
export const GROUPS = ['general', 'settings', 'slabs', 'items'] as const;

/** values[0]: how many lines; values[1 + g]: where group g's lines end; then the serving fields. */
export const LINE_COUNT_AT = 0;
export const GROUP_ENDS_AT = 1;
export const SERVING_AT = GROUP_ENDS_AT + GROUPS.length;
/** Line i's value is values[LINES_AT + i]. */
export const LINES_AT = SERVING_AT + SERVING_FIELDS.length;

/** The serving loop's answer to a request: a snapshot, or why none could be taken (a bug). */
export type SnapshotReply = SnapshotMessage | { readonly error: string };

export interface SnapshotMessage {
  /** A Float64Array's buffer, laid out as above. */
  readonly values: ArrayBuffer;
  /** The lines' names, when they differ from the previous snapshot's. */
  readonly names?: readonly string[];
  /** Per line, its text when it is not a number (else null), when they differ from the previous snapshot's. */
  readonly texts?: readonly (string | null)[];
}

/** The metrics thread to the serving loop. */
export type EndpointMessage =
  | { readonly type: 'listening'; readonly host: string; readonly port: number }
  | { readonly type: 'failed'; readonly code: string | null; readonly message: string }
  /** A snapshot is wanted; `spare` is the previous one's buffer, to be filled again. */
  | { readonly type: 'snapshot'; readonly spare: ArrayBuffer | null };

/** What the metrics thread is started with. */
export interface EndpointConfig {
  readonly host: string;
  readonly port: number;
  /** The authentication mechanism in use (-S PLAIN, -Y ascii), fixed at start; null without. */
  readonly mechanism: string | null;
}
