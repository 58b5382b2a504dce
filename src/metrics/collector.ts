// The metrics of one server as a prom-client registry. A scrape samples everything once (the
// stats snapshot, the process figures), then prom-client asks each family for its samples and
// writes the text format. Nothing here runs between scrapes but Node's event-loop delay
// histogram (a libuv timer, no JavaScript), so the cache pays for metrics only when scraped.

import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import v8 from 'node:v8';
import { Registry, type Metric } from 'prom-client';
import type { ServerContext } from '../server-context.js';
import type { FamilySpec, LabelSet, ProcessSample, SampleSink, ScrapeInput } from './family.js';
import { EXPORTER_FAMILIES } from './exporter-families.js';
import { MEMCACHEDTS_FAMILIES } from './memcachedts-families.js';
import { StatsSnapshot } from './stats-snapshot.js';

export const ALL_FAMILIES: readonly FamilySpec[] = [...EXPORTER_FAMILIES, ...MEMCACHEDTS_FAMILIES];

/** Event-loop delay sampling period: fine enough for p99 of a busy loop, 50 wakeups a second. */
const LOOP_DELAY_RESOLUTION_MS = 20;

/**
 * Scrapes closer together than this share one rendering: a client hammering /metrics costs
 * the cache at most one rendering per interval (Prometheus scrapes every 15 s or so).
 */
export const MIN_RENDER_INTERVAL_MS = 50;

const NS_PER_SEC = 1e9;
const NS_PER_MS = 1e6;

export class MetricsCollector {
  readonly contentType: string;
  private readonly registry = new Registry();
  private readonly loopDelay: IntervalHistogram;
  private readonly input: { ctx: ServerContext; stats: StatsSnapshot; process: ProcessSample };
  private lastText = '';
  private lastRenderMs = -Infinity;
  private rendering: Promise<string> | null = null;

  constructor(ctx: ServerContext, families: readonly FamilySpec[] = ALL_FAMILIES) {
    this.contentType = this.registry.contentType;
    this.loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
    this.loopDelay.enable();
    this.input = {
      ctx,
      stats: new StatsSnapshot(),
      process: { loopDelayP50Sec: 0, loopDelayP99Sec: 0, loopDelayMaxSec: 0, heapUsedBytes: 0, heapTotalBytes: 0, externalBytes: 0, residentBytes: 0 },
    };
    // Which families this server has is fixed by its settings: decide once, from a first look.
    this.input.stats.take(ctx);
    for (const spec of families) {
      if (spec.isPresent === undefined || spec.isPresent(this.input)) this.register(spec);
    }
  }

  /** The text format for one scrape (shared by scrapes within MIN_RENDER_INTERVAL_MS). */
  render(): Promise<string> {
    if (this.rendering !== null) return this.rendering;
    if (performance.now() - this.lastRenderMs < MIN_RENDER_INTERVAL_MS) return Promise.resolve(this.lastText);
    this.rendering = this.renderNow().finally(() => {
      this.rendering = null;
    });
    return this.rendering;
  }

  close(): void {
    this.loopDelay.disable();
  }

  private async renderNow(): Promise<string> {
    this.sample();
    const text = await this.registry.metrics();
    this.lastText = text;
    this.lastRenderMs = performance.now();
    return text;
  }

  private sample(): void {
    const input = this.input;
    input.stats.take(input.ctx);
    const p = input.process;
    const h = this.loopDelay;
    const hasSamples = h.count > 0;
    p.loopDelayP50Sec = hasSamples ? lateBySec(h.percentile(50)) : 0;
    p.loopDelayP99Sec = hasSamples ? lateBySec(h.percentile(99)) : 0;
    p.loopDelayMaxSec = hasSamples ? lateBySec(h.max) : 0;
    h.reset(); // each scrape reports the delay since the previous one
    const heap = v8.getHeapStatistics();
    p.heapUsedBytes = heap.used_heap_size;
    p.heapTotalBytes = heap.total_heap_size;
    p.externalBytes = heap.external_memory;
    p.residentBytes = process.memoryUsage.rss();
  }

  private register(spec: FamilySpec): void {
    this.registry.registerMetric(new FamilyMetric(spec, this.input) as unknown as Metric);
  }
}

/** The samples of one family, as prom-client's registry reads them (a metric's get()). */
interface ExposedSample {
  value: number;
  /** Always empty: the registry escapes and joins these anew for every sample of every scrape. */
  readonly labels: LabelSet;
  /** The sample's labels: the registry formats them once per object and keeps the text. */
  sharedLabels: LabelSet;
}

const NO_LABELS: LabelSet = Object.freeze({});

/**
 * One family in prom-client's registry: what its Gauge and Counter give the registry (name,
 * help, type, aggregator and get()), filled from the scrape input with sample objects reused
 * from scrape to scrape. prom-client's own classes would rebuild a label-hash map per scrape
 * and hand the registry a new sharedLabels object per sample, which it then caches in a
 * WeakMap: a third of a scrape's CPU, measured, for nothing. Here each sample's labels are the
 * family's long-lived label set (label-sets.ts), passed as sharedLabels so that the registry's
 * cache of their text hits every scrape.
 */
class FamilyMetric {
  readonly name: string;
  readonly help: string;
  readonly type: FamilySpec['type'];
  readonly labelNames: readonly string[];
  readonly aggregator = 'sum';
  private readonly spec: FamilySpec;
  private readonly input: ScrapeInput;
  private readonly values: ExposedSample[] = [];
  private readonly pool: ExposedSample[] = [];
  private readonly sink: SampleSink;

  constructor(spec: FamilySpec, input: ScrapeInput) {
    this.spec = spec;
    this.input = input;
    this.name = spec.name;
    this.help = spec.help;
    this.type = spec.type;
    this.labelNames = spec.labelNames;
    this.sink = (value, labels) => {
      const i = this.values.length;
      let sample = this.pool[i];
      if (sample === undefined) {
        sample = { value: 0, labels: NO_LABELS, sharedLabels: NO_LABELS };
        this.pool.push(sample);
      }
      sample.value = value;
      sample.sharedLabels = labels ?? NO_LABELS;
      this.values.push(sample);
    };
  }

  get(): Promise<{ name: string; help: string; type: string; values: ExposedSample[]; aggregator: string }> {
    this.values.length = 0;
    this.spec.fill(this.input, this.sink);
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values: this.values, aggregator: this.aggregator });
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
