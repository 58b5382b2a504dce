// What a metric family is here: its exposition name, help, type and label names, and how one
// scrape's input turns into its samples. The collector turns each into a prom-client metric.

import type { ServerContext } from '../server-context.js';
import type { StatsSnapshot } from './stats-snapshot.js';

export type FamilyType = 'gauge' | 'counter';

/**
 * One sample's label values, keyed by the family's label names. A family passes the same object
 * for the same labels every scrape (label-sets.ts, or a module constant): the registry formats
 * a set's text once per object.
 */
export type LabelSet = Readonly<Record<string, string>>;

/** Receives one sample; labels must name exactly the family's label names. */
export type SampleSink = (value: number, labels?: LabelSet) => void;

/** Everything a family may read during one scrape (taken once, before any family fills). */
export interface ScrapeInput {
  readonly ctx: ServerContext;
  readonly stats: StatsSnapshot;
  readonly process: ProcessSample;
}

/** Figures of the Node process itself, sampled once per scrape. */
export interface ProcessSample {
  loopDelayP50Sec: number;
  loopDelayP99Sec: number;
  loopDelayMaxSec: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  residentBytes: number;
}

export interface FamilySpec {
  readonly name: string;
  readonly help: string;
  readonly type: FamilyType;
  readonly labelNames: readonly string[];
  /**
   * Whether this server exposes the family at all, decided once at start from a first scrape
   * (memcached_exporter leaves out what `stats` does not print, e.g. rejected_connections
   * without maxconns_fast, the LRU crawler settings with no_lru_crawler). Absent = always.
   */
  readonly isPresent?: (input: ScrapeInput) => boolean;
  readonly fill: (input: ScrapeInput, out: SampleSink) => void;
}
