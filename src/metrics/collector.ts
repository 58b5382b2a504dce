// The metrics of one server as a prom-client registry, in the metrics thread. A scrape asks the
// serving loop for a snapshot (stats lines, its event-loop delay and heap, our counters), then
// prom-client asks each family for its samples and writes the text format: the serving loop
// pays for the snapshot only, everything else runs here.

import { Registry, type Metric } from 'prom-client';
import type { FamilySpec, LabelSet, SampleSink, ScrapeInput } from './family.js';
import { EXPORTER_FAMILIES } from './exporter-families.js';
import { MEMCACHEDTS_FAMILIES } from './memcachedts-families.js';
import { StatsSnapshot } from './stats-snapshot.js';
import { SERVING_AT, SERVING_FIELDS, emptyServingSample, type ServingSample, type SnapshotMessage } from './snapshot-wire.js';

export const ALL_FAMILIES: readonly FamilySpec[] = [...EXPORTER_FAMILIES, ...MEMCACHEDTS_FAMILIES];

/**
 * Scrapes closer together than this share one rendering: a client hammering /metrics costs
 * the cache at most one snapshot per interval (Prometheus scrapes every 15 s or so).
 */
export const MIN_RENDER_INTERVAL_MS = 50;

/** Asks the serving loop for a snapshot, handing back the previous one's buffer. */
export type SnapshotSource = (spare: ArrayBuffer | null) => Promise<SnapshotMessage>;

export class MetricsCollector {
  readonly contentType: string;
  private readonly registry = new Registry();
  private readonly source: SnapshotSource;
  private readonly input: { stats: StatsSnapshot; serving: ServingSample; mechanism: string | null };
  /** The snapshot lines' names and texts as last sent (they travel only when they change). */
  private names: readonly string[] = [];
  private texts: readonly (string | null)[] = [];
  private spare: ArrayBuffer | null = null;
  private lastText = '';
  private lastRenderMs = -Infinity;
  private rendering: Promise<string> | null = null;

  /** Which families this server has is fixed by its settings: decided once, from a first snapshot. */
  static async create(source: SnapshotSource, mechanism: string | null, families: readonly FamilySpec[] = ALL_FAMILIES): Promise<MetricsCollector> {
    const collector = new MetricsCollector(source, mechanism);
    await collector.sample();
    for (const spec of families) {
      if (spec.isPresent === undefined || spec.isPresent(collector.input)) collector.register(spec);
    }
    return collector;
  }

  private constructor(source: SnapshotSource, mechanism: string | null) {
    this.contentType = this.registry.contentType;
    this.source = source;
    this.input = {
      stats: new StatsSnapshot(),
      serving: emptyServingSample(),
      mechanism,
    };
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

  private async renderNow(): Promise<string> {
    await this.sample();
    const text = await this.registry.metrics();
    this.lastText = text;
    this.lastRenderMs = performance.now();
    return text;
  }

  private async sample(): Promise<void> {
    const message = await this.source(this.spare);
    if (message.names !== undefined) this.names = message.names;
    if (message.texts !== undefined) this.texts = message.texts;
    const values = new Float64Array(message.values);
    this.input.stats.load(this.names, this.texts, values);
    const serving = this.input.serving;
    for (let f = 0; f < SERVING_FIELDS.length; f++) serving[SERVING_FIELDS[f]!] = values[SERVING_AT + f]!;
    this.spare = message.values;
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
