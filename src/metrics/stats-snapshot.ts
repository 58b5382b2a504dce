// One scrape's view of `stats`, `stats settings`, `stats slabs` and `stats items`, taken from the
// very emitters the text and binary `stats` commands print (stats/render.ts, the store's own),
// so /metrics shows the numbers `stats` would show at that moment and no figure is computed
// twice. Keyed like memcached_exporter's client keys them: `items:3:number` goes to items
// (class 3, field `number`), `3:chunk_size` to slabs, the rest (`total_malloced` from
// `stats slabs` too) to general. Everything is reused from scrape to scrape.

import type { ServerContext } from '../server-context.js';
import { emitGeneralStats, emitSettingsStats } from '../stats/render.js';

export type StatValue = string | number;

const COLON = 0x3a;
const ITEMS_PREFIX_LEN = 'items:'.length;

/**
 * A per-class group (`stats slabs` or `stats items`) as numbers: a row per class id, a column
 * per field name, NaN where the class printed no number for the field this scrape. Families
 * look a field's column up once per scrape, then read one number per class.
 */
export class ClassStats {
  /** The class ids that printed anything this scrape, in the order `stats` printed them. */
  readonly classes: number[] = [];
  private readonly columns = new Map<string, number>();
  /** By class id; rows keep their length from scrape to scrape. */
  private readonly rows: number[][] = [];
  /** The scrape a class id last printed in (to list each class once). */
  private readonly seenIn: number[] = [];
  private scrape = 0;

  /** Starts a scrape: nothing reads as printed until set again. */
  begin(): void {
    this.scrape++;
    for (const cls of this.classes) this.rows[cls]!.fill(NaN);
    this.classes.length = 0;
  }

  set(cls: number, field: string, value: StatValue): void {
    let column = this.columns.get(field);
    if (column === undefined) {
      column = this.columns.size;
      this.columns.set(field, column);
    }
    let row = this.rows[cls];
    if (row === undefined) {
      row = [];
      this.rows[cls] = row;
    }
    if (this.seenIn[cls] !== this.scrape) {
      this.seenIn[cls] = this.scrape;
      this.classes.push(cls);
    }
    while (row.length < column) row.push(NaN);
    row[column] = numberOf(value);
  }

  /** A field's column for value(); -1 when no class has ever printed it. */
  column(field: string): number {
    return this.columns.get(field) ?? -1;
  }

  /** NaN when the class printed no number for that column this scrape. */
  value(cls: number, column: number): number {
    return this.rows[cls]?.[column] ?? NaN;
  }
}

export class StatsSnapshot {
  readonly general = new Map<string, StatValue>();
  readonly settings = new Map<string, StatValue>();
  readonly slabs = new ClassStats();
  readonly items = new ClassStats();

  private readonly onGeneral = (name: string, value: StatValue): void => {
    this.general.set(name, value);
  };
  private readonly onSettings = (name: string, value: StatValue): void => {
    this.settings.set(name, value);
  };
  private readonly onSlabs = (name: string, value: StatValue): void => {
    // <class>:<field>, or active_slabs and total_malloced
    const colon = classEnd(name, 0);
    if (colon < 0) this.general.set(name, value);
    else this.slabs.set(classNumber(name, 0, colon), name.slice(colon + 1), value);
  };
  private readonly onItems = (name: string, value: StatValue): void => {
    // items:<class>:<field>
    const colon = classEnd(name, ITEMS_PREFIX_LEN);
    if (colon >= 0) this.items.set(classNumber(name, ITEMS_PREFIX_LEN, colon), name.slice(colon + 1), value);
  };

  /** Refills everything from the server's current figures. */
  take(ctx: ServerContext): void {
    this.general.clear();
    this.settings.clear();
    this.slabs.begin();
    this.items.begin();
    emitGeneralStats(ctx, this.onGeneral);
    emitSettingsStats(ctx, this.onSettings);
    ctx.store.emitSlabs(this.onSlabs);
    ctx.store.emitItems(this.onItems);
  }
}

/** Where the class digits starting at `from` end in a colon, or -1 when they do not. */
function classEnd(name: string, from: number): number {
  let i = from;
  while (i < name.length && isDigit(name.charCodeAt(i))) i++;
  return i > from && name.charCodeAt(i) === COLON ? i : -1;
}

function classNumber(name: string, from: number, end: number): number {
  let n = 0;
  for (let i = from; i < end; i++) n = n * 10 + name.charCodeAt(i) - 0x30;
  return n;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/**
 * A stat as a number the way memcached_exporter reads it: decimal text, `yes`/`no` as 1/0,
 * rusage's `seconds.micros`; NaN when it is not a number.
 */
function numberOf(v: StatValue): number {
  if (typeof v === 'number') return v;
  if (v === 'yes') return 1;
  if (v === 'no') return 0;
  const n = Number(v);
  return Number.isFinite(n) ? n : NaN;
}

/** A `stats` or `stats settings` line as a number; NaN when absent (the family is then left out, as the exporter leaves it out) or not a number. */
export function statNumber(map: ReadonlyMap<string, StatValue>, key: string): number {
  const v = map.get(key);
  return v === undefined ? NaN : numberOf(v);
}
