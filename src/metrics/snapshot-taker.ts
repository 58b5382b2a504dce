// The serving loop's half of a scrape: the lines `stats`, `stats settings`, `stats slabs` and
// `stats items` print, read from the very emitters those commands use (so /metrics shows what
// `stats` would show at that moment and no figure is computed twice), written as numbers into
// a buffer the metrics thread handed back, with this thread's event-loop delay, heap and our
// own counters. Names and texts are compared with the previous snapshot's, not sent again.

import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import v8 from 'node:v8';
import type { ServerContext } from '../server-context.js';
import { emitGeneralStats, emitSettingsStats, type StatEmitter } from '../stats/render.js';
import { GROUP_ENDS_AT, LINE_COUNT_AT, LINES_AT, SERVING_AT, SERVING_FIELDS, emptyServingSample, type ServingSample, type SnapshotMessage } from './snapshot-wire.js';

/** Event-loop delay sampling period: fine enough for p99 of a busy loop, 50 wakeups a second. */
const LOOP_DELAY_RESOLUTION_MS = 20;
/** Room for the lines of a first snapshot (39 classes print about 1,700); grown when short. */
const INITIAL_LINES = 2048;

const NS_PER_SEC = 1e9;
const NS_PER_MS = 1e6;

export class SnapshotTaker {
  private readonly ctx: ServerContext;
  private readonly loopDelay: IntervalHistogram;
  private readonly serving: ServingSample = emptyServingSample();
  /** The previous snapshot's line names and texts, as the metrics thread last received them. */
  private readonly names: string[] = [];
  private readonly texts: (string | null)[] = [];
  private namesChanged = true;
  private textsChanged = true;
  private values = new Float64Array(0);
  private line = 0;
  private readonly onLine: StatEmitter = (name, value) => {
    const i = this.line++;
    if (LINES_AT + i >= this.values.length) this.grow();
    if (this.names[i] !== name) {
      this.names[i] = name;
      this.namesChanged = true;
    }
    let n: number;
    let text: string | null = null;
    if (typeof value === 'number') {
      n = value;
    } else {
      n = Number(value);
      if (!Number.isFinite(n)) {
        n = NaN;
        text = value;
      }
    }
    this.values[LINES_AT + i] = n;
    if (this.texts[i] !== text) {
      this.texts[i] = text;
      this.textsChanged = true;
    }
  };

  constructor(ctx: ServerContext) {
    this.ctx = ctx;
    this.loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
    this.loopDelay.enable();
  }

  /** A snapshot written into `spare` when it is large enough (its buffer is then the message's). */
  take(spare: ArrayBuffer | null): SnapshotMessage {
    const ctx = this.ctx;
    this.values = spare === null ? new Float64Array(LINES_AT + INITIAL_LINES) : new Float64Array(spare);
    this.line = 0;
    emitGeneralStats(ctx, this.onLine);
    this.endGroup(0);
    emitSettingsStats(ctx, this.onLine);
    this.endGroup(1);
    ctx.store.emitSlabs(this.onLine);
    this.endGroup(2);
    ctx.store.emitItems(this.onLine);
    this.endGroup(3);
    const count = this.line;
    if (this.names.length !== count) {
      this.names.length = count;
      this.texts.length = count;
      this.namesChanged = true;
      this.textsChanged = true;
    }
    this.values[LINE_COUNT_AT] = count;
    this.sampleServing();
    for (let f = 0; f < SERVING_FIELDS.length; f++) this.values[SERVING_AT + f] = this.serving[SERVING_FIELDS[f]!];
    // structured clone copies names and texts as they are now: later changes here are not seen there
    const message: SnapshotMessage = {
      values: this.values.buffer as ArrayBuffer,
      ...(this.namesChanged ? { names: this.names } : {}),
      ...(this.textsChanged ? { texts: this.texts } : {}),
    };
    this.namesChanged = false;
    this.textsChanged = false;
    return message;
  }

  close(): void {
    this.loopDelay.disable();
  }

  private endGroup(group: number): void {
    this.values[GROUP_ENDS_AT + group] = this.line;
  }

  private grow(): void {
    const larger = new Float64Array(this.values.length * 2);
    larger.set(this.values);
    this.values = larger;
  }

  private sampleServing(): void {
    const s = this.serving;
    const h = this.loopDelay;
    const hasSamples = h.count > 0;
    s.loopDelayP50Sec = hasSamples ? lateBySec(h.percentile(50)) : 0;
    s.loopDelayP99Sec = hasSamples ? lateBySec(h.percentile(99)) : 0;
    s.loopDelayMaxSec = hasSamples ? lateBySec(h.max) : 0;
    h.reset(); // each scrape reports the delay since the previous one
    const heap = v8.getHeapStatistics();
    s.heapUsedBytes = heap.used_heap_size;
    s.heapTotalBytes = heap.total_heap_size;
    s.externalBytes = heap.external_memory;
    s.residentBytes = process.memoryUsage.rss();
    const c = this.ctx.wide.totals();
    s.authCmds = c.auth_cmds;
    s.authErrors = c.auth_errors;
    s.connectionsRefused = c.rejected_connections;
    s.closedLineTooLong = c.conns_closed_line_too_long;
    s.closedProtocolError = c.conns_closed_protocol_error;
    s.closedIdle = c.conns_closed_idle;
    s.outBufferPauses = c.out_buffer_pauses;
    s.throttledPeers = this.ctx.authThrottle.throttledPeerCount(Date.now());
  }
}

/**
 * Node's histogram records the time between two ticks of its timer, i.e. the resolution plus
 * the delay (an idle loop shows about LOOP_DELAY_RESOLUTION_MS): the delay is what is beyond it.
 */
function lateBySec(intervalNs: number): number {
  const lateNs = intervalNs - LOOP_DELAY_RESOLUTION_MS * NS_PER_MS;
  return lateNs > 0 ? lateNs / NS_PER_SEC : 0;
}
