// One scrape's view of `stats`, `stats settings`, `stats slabs` and `stats items`, taken from the
// very emitters the text and binary `stats` commands print (stats/render.ts, the store's own),
// so /metrics shows the numbers `stats` would show at that moment and no figure is computed
// twice. Keyed like memcached_exporter's client keys them: `items:3:number` goes to items[3],
// `3:chunk_size` to slabs[3], the rest (`total_malloced` from `stats slabs` too) to general.
// The maps are reused from scrape to scrape.

import type { ServerContext } from '../server-context.js';
import { emitGeneralStats, emitSettingsStats } from '../stats/render.js';

export type StatValue = string | number;

export class StatsSnapshot {
  readonly general = new Map<string, StatValue>();
  readonly settings = new Map<string, StatValue>();
  /** `stats slabs` per class id. */
  readonly slabs = new Map<number, Map<string, StatValue>>();
  /** `stats items` per class id. */
  readonly items = new Map<number, Map<string, StatValue>>();

  private readonly spareMaps: Array<Map<string, StatValue>> = [];

  private readonly onGeneral = (name: string, value: StatValue): void => {
    this.general.set(name, value);
  };
  private readonly onSettings = (name: string, value: StatValue): void => {
    this.settings.set(name, value);
  };
  private readonly onSlabs = (name: string, value: StatValue): void => {
    const colon = name.indexOf(':');
    if (colon < 0) this.general.set(name, value); // active_slabs, total_malloced
    else this.perClass(this.slabs, name.slice(0, colon)).set(name.slice(colon + 1), value);
  };
  private readonly onItems = (name: string, value: StatValue): void => {
    // items:<class>:<field>
    const second = name.indexOf(':', 6);
    if (second < 0) return;
    this.perClass(this.items, name.slice(6, second)).set(name.slice(second + 1), value);
  };

  /** Refills every map from the server's current figures. */
  take(ctx: ServerContext): void {
    this.recycle(this.slabs);
    this.recycle(this.items);
    this.general.clear();
    this.settings.clear();
    emitGeneralStats(ctx, this.onGeneral);
    emitSettingsStats(ctx, this.onSettings);
    ctx.store.emitSlabs(this.onSlabs);
    ctx.store.emitItems(this.onItems);
  }

  private perClass(byClass: Map<number, Map<string, StatValue>>, classText: string): Map<string, StatValue> {
    const cls = Number(classText);
    let m = byClass.get(cls);
    if (m === undefined) {
      m = this.spareMaps.pop() ?? new Map();
      byClass.set(cls, m);
    }
    return m;
  }

  private recycle(byClass: Map<number, Map<string, StatValue>>): void {
    for (const m of byClass.values()) {
      m.clear();
      this.spareMaps.push(m);
    }
    byClass.clear();
  }
}

/**
 * A stat as a number the way memcached_exporter reads it: decimal text, `yes`/`no` as 1/0,
 * rusage's `seconds.micros`. undefined when the stat is absent (the family is then left out,
 * as the exporter leaves it out) or not a number.
 */
export function statNumber(map: ReadonlyMap<string, StatValue>, key: string): number | undefined {
  const v = map.get(key);
  if (v === undefined) return undefined;
  if (typeof v === 'number') return v;
  if (v === 'yes') return 1;
  if (v === 'no') return 0;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}
