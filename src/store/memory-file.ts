// -e PATH, memcached's restartable cache: a graceful stop writes the store's image to PATH and
// a text metadata file to PATH.meta; the next start with the same -e and compatible settings
// reads them back.
//
// PATH.meta keeps memcached's format and checks (restart.c, memcached.c _mc_meta_load_cb):
// a "Tmain" tag line, then "Kkey value" lines. The keys memcached writes come first and are
// checked as memcached checks them; ours (mcts_*) tie the metadata to the data file and carry
// what memcached keeps in its mmap'd memory instead. The metadata file is removed as soon as it
// has been read, valid or not, so a later crash never restores stale data: a start finds items
// only right after a graceful stop.
//
// PATH is our own format, not memcached's mmap image (memcached's memory is a file at all times;
// ours lives in 1 MiB pages off the V8 heap and is written once, at the stop):
//
//   0     header: magic "MCTSMEM\0", format, byte-order mark, token (16 bytes, also in the
//         metadata), page slots, hash power, live pages, crc32 of the state, their byte sizes
//   4096  state: the slab, LRU and hash arrays of store-image.ts, each padded to 8 bytes
//   then  the live pages in slot order, 1 MiB each, from a 4096-byte boundary
//
// Both files are written beside their final name, fsynced and renamed into place, data first:
// a stop killed half-way leaves no metadata, hence a clean start.

import { closeSync, fsyncSync, ftruncateSync, openSync, readSync, renameSync, statSync, unlinkSync, writeSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { LRU_IDS } from './item-layout.js';
import { MAX_SLAB_CLASSES, SLAB_PAGE_SIZE } from './slab-classes.js';
import type { SlabsImage } from './slabs.js';
import type { StoreImage } from './store-image.js';

const MAGIC = Buffer.from('MCTSMEM\0', 'latin1');
const FORMAT = 1;
const BYTE_ORDER_MARK = 0x01020304;
const HEADER_BYTES = 64;
const STATE_OFFSET = 4096;
const PAGE_ALIGN = 4096;
const TOKEN_BYTES = 16;
const META_SUFFIX = '.meta';
const TMP_SUFFIX = '.tmp';
/** memcached's RESTART_REQUIRED_META: fewer known lines than this and the file is refused. */
const REQUIRED_META_LINES = 17;
const TAG = 'main';
/** How many pages the restore reads between two cuts of the file. */
const TRUNCATE_EVERY_PAGES = 16;

/** The settings memcached compares before reusing memory, plus the LRU mode our lists depend on. */
export interface RestartSettings {
  readonly maxbytes: number;
  readonly chunkSize: number;
  readonly itemSizeMax: number;
  readonly slabChunkMax: number;
  readonly slabConfig: string;
  readonly useCas: boolean;
  readonly slabReassign: boolean;
  readonly lruSegmented: boolean;
  readonly tempLru: boolean;
}

/**
 * What a start found. clean: nothing to restore (lines for stderr say why, as memcached prints
 * them). fatal: memcached aborts on such a metadata file, so the start fails.
 */
export type RestartLoad =
  | { readonly kind: 'clean'; readonly lines: readonly string[] }
  | { readonly kind: 'fatal'; readonly lines: readonly string[] }
  | { readonly kind: 'restored'; readonly lines: readonly string[]; readonly image: StoreImage };

// --- the state arrays, in file order -------------------------------------------------------

type StateArray = Uint8Array | Uint32Array | Int32Array | Float64Array;

/** The arrays of an image in the order they are written, each with its element count. */
function stateArrays(slabs: SlabsImage, lru: LruArrays, buckets: Uint32Array): StateArray[] {
  return [
    slabs.pageClass, slabs.pageUsed, slabs.freeHead, slabs.freeCount, slabs.carvePage, slabs.carveNext,
    slabs.classPages, lru.head, lru.tail, lru.count, lru.bytes, buckets,
  ];
}

interface LruArrays {
  readonly head: Uint32Array;
  readonly tail: Uint32Array;
  readonly count: Float64Array;
  readonly bytes: Float64Array;
}

/** Empty arrays of the sizes a file with these slots and hash power holds. */
function freshState(slots: number, hashPower: number): { slabs: SlabsImage; lru: LruArrays; buckets: Uint32Array } {
  return {
    slabs: {
      pageClass: new Uint8Array(slots),
      pageUsed: new Uint32Array(slots),
      freeHead: new Uint32Array(MAX_SLAB_CLASSES),
      freeCount: new Float64Array(MAX_SLAB_CLASSES),
      carvePage: new Int32Array(MAX_SLAB_CLASSES),
      carveNext: new Int32Array(MAX_SLAB_CLASSES),
      classPages: new Float64Array(MAX_SLAB_CLASSES),
    },
    lru: {
      head: new Uint32Array(LRU_IDS),
      tail: new Uint32Array(LRU_IDS),
      count: new Float64Array(LRU_IDS),
      bytes: new Float64Array(LRU_IDS),
    },
    buckets: new Uint32Array(2 ** hashPower),
  };
}

const pad8 = (n: number): number => (n + 7) & ~7;
const alignPage = (n: number): number => Math.ceil(n / PAGE_ALIGN) * PAGE_ALIGN;

function bytesOf(a: StateArray): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function stateBytes(arrays: readonly StateArray[]): number {
  let n = 0;
  for (const a of arrays) n += pad8(a.byteLength);
  return n;
}

// --- save --------------------------------------------------------------------------------------

/** Writes all of buf at position (writeSync may write less than asked). */
function writeAll(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, position + done);
}

function readAll(fd: number, buf: Buffer, position: number): boolean {
  let done = 0;
  while (done < buf.length) {
    const n = readSync(fd, buf, done, buf.length - done, position + done);
    if (n === 0) return false;
    done += n;
  }
  return true;
}

/** Writes name.tmp, fsyncs it and renames it to name. */
function writeReplacing(name: string, write: (fd: number) => void): void {
  const tmp = name + TMP_SUFFIX;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    write(fd);
    fsyncSync(fd);
  } catch (e: unknown) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already gone: nothing to clean
    }
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, name);
}

function fsyncDir(path: string): void {
  let fd: number;
  try {
    fd = openSync(dirname(path), 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // some file systems refuse fsync on a directory; the renames are then as durable as they get
  } finally {
    closeSync(fd);
  }
}

export interface SaveFigures {
  readonly bytes: number;
  readonly pages: number;
}

/**
 * The graceful stop's save: PATH, then PATH.meta. Throws the file system's error (the caller
 * reports it; memcached prints "[restart] failed to save metadata").
 */
export function saveMemoryFile(path: string, image: StoreImage, settings: RestartSettings, nowUnixSec: number): SaveFigures {
  const lru = { head: image.lruHead, tail: image.lruTail, count: image.lruCount, bytes: image.lruBytes };
  const arrays = stateArrays(image.slabs, lru, image.buckets);
  const slots = image.slabs.pageClass.length;
  const hashPower = Math.log2(image.buckets.length);
  let live = 0;
  for (let p = 0; p < slots; p++) if (image.slabs.pageClass[p] !== 0) live++;
  const stateLen = stateBytes(arrays);
  const pagesAt = alignPage(STATE_OFFSET + stateLen);
  const total = pagesAt + live * SLAB_PAGE_SIZE;
  const token = randomBytes(TOKEN_BYTES);

  const state = Buffer.alloc(stateLen);
  let at = 0;
  for (const a of arrays) {
    bytesOf(a).copy(state, at);
    at += pad8(a.byteLength);
  }
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(FORMAT, 8);
  header.writeUInt32LE(BYTE_ORDER_MARK, 12);
  token.copy(header, 16);
  header.writeUInt32LE(slots, 32);
  header.writeUInt32LE(hashPower, 36);
  header.writeUInt32LE(live, 40);
  header.writeUInt32LE(crc32(state), 44);
  header.writeDoubleLE(stateLen, 48);
  header.writeDoubleLE(total, 56);

  writeReplacing(path, (fd) => {
    writeAll(fd, header, 0);
    writeAll(fd, state, STATE_OFFSET);
    let pos = pagesAt;
    for (let p = 0; p < slots; p++) {
      if (image.slabs.pageClass[p] === 0) continue;
      writeAll(fd, image.pages[p]!, pos);
      pos += SLAB_PAGE_SIZE;
    }
  });

  const s = settings;
  const lines = [
    'T' + TAG,
    // memcached's keys, in its order
    `Kslab_config ${s.slabConfig}`,
    `Kmaxbytes ${s.maxbytes}`,
    `Kchunk_size ${s.chunkSize}`,
    `Kitem_size_max ${s.itemSizeMax}`,
    `Kslab_chunk_size_max ${s.slabChunkMax}`,
    `Kslab_page_size ${SLAB_PAGE_SIZE}`,
    `Kuse_cas ${s.useCas}`,
    `Kslab_reassign ${s.slabReassign}`,
    `Kcurrent_time ${Math.max(0, Math.floor(nowUnixSec) - image.processStarted)}`,
    `Kprocess_started ${image.processStarted}`,
    `Kstop_time ${Math.floor(nowUnixSec)}`,
    // memcached saves the next cas (get_cas_id() counts one up) and resumes from it
    `Kcurrent_cas ${image.casId + 1}`,
    `Koldest_cas ${image.oldestCas}`,
    'Klogger_gid 0',
    `Khashpower ${hashPower}`,
    `Koldest_live ${image.oldestLive}`,
    // no base address to fix pointers against: refs are page slots and offsets
    'Kmmap_oldbase 0x0',
    // ours
    `Kmcts_format ${FORMAT}`,
    `Kmcts_data_token ${token.toString('hex')}`,
    `Kmcts_data_bytes ${total}`,
    `Kmcts_lru_segmented ${s.lruSegmented}`,
    `Kmcts_temp_lru ${s.tempLru}`,
    `Kmcts_curr_items ${image.currItems}`,
    `Kmcts_curr_bytes ${image.currBytes}`,
  ];
  const meta = Buffer.from(lines.join('\n') + '\n', 'latin1');
  writeReplacing(path + META_SUFFIX, (fd) => writeAll(fd, meta, 0));
  fsyncDir(path);
  return { bytes: total, pages: live };
}

// --- load --------------------------------------------------------------------------------------

/** The metadata's values once read and checked. */
interface MetaValues {
  processStarted: number;
  nextCas: number;
  oldestCas: number;
  oldestLive: number;
  hashPower: number;
  token: string;
  dataBytes: number;
  currItems: number;
  currBytes: number;
  stopTime: number;
}

/** memcached's safe_strtoull etc.: digits only (a leading '-' refused), within range. */
function parseUnsigned(text: string, max: number): number | null {
  if (!/^[0-9]+$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) && n <= max ? n : null;
}

function parseSigned(text: string): number | null {
  if (!/^-?[0-9]+$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

const U32_MAX = 0xffffffff;

/**
 * Reads and checks PATH.meta as memcached does (the start aborts on a file without a leading
 * tag line; a mismatched or short one means a clean start), then removes it.
 */
function readMeta(path: string, expected: RestartSettings, nowUnixSec: number, lines: string[]): MetaValues | 'clean' | 'fatal' {
  const metaPath = path + META_SUFFIX;
  let text: string;
  try {
    text = readFileSync(metaPath, 'latin1');
  } catch {
    lines.push('[restart] no metadata save file, starting with a clean cache');
    return 'clean';
  }
  const rows = text.split('\n');
  // getline() sees no line after the last '\n'
  if (rows[rows.length - 1] === '') rows.pop();
  const first = rows[0];
  if (first === undefined) {
    lines.push('[restart] Failed to read a tag from metadata file');
    return 'fatal';
  }
  if (first[0] !== 'T' || first.slice(1) !== TAG) {
    if (first[0] === 'T') lines.push(`[restart] internal handler for metadata tag not found: ${first.slice(1)}:`);
    else if (first[0] !== 'K') lines.push(`[restart] invalid metadata line:\n\n${first}\n`);
    lines.push('[restart] corrupt metadata file');
    return 'fatal';
  }
  const v = checkMetaRows(rows, expected, nowUnixSec, lines);
  try {
    unlinkSync(metaPath);
  } catch {
    // gone already, or a directory we cannot write: it was read, that is what counts
  }
  if (v === null) {
    lines.push('[restart] failed to validate metadata, starting with a clean cache');
    return 'clean';
  }
  return v;
}

function checkMetaRows(rows: readonly string[], expected: RestartSettings, nowUnixSec: number, lines: string[]): MetaValues | null {
  const v: MetaValues = {
    processStarted: 0, nextCas: 0, oldestCas: 0, oldestLive: 0, hashPower: 0, token: '', dataBytes: 0,
    currItems: 0, currBytes: 0, stopTime: 0,
  };
  let seen = 0;
  let isCompatible = true;
  const ours = new Set<string>();
  for (let i = 1; i < rows.length; i++) {
    const row = rows[i]!;
    if (row[0] === 'T') {
      if (row.slice(1) !== TAG) {
        lines.push(`[restart] internal handler for metadata tag not found: ${row.slice(1)}:`);
        break;
      }
      seen = 0; // memcached starts its reader over for the tag
      continue;
    }
    if (row[0] !== 'K') {
      lines.push(`[restart] invalid metadata line:\n\n${row}\n`);
      break;
    }
    const space = row.indexOf(' ');
    const key = space < 0 ? row.slice(1) : row.slice(1, space);
    const val = space < 0 ? '' : row.slice(space + 1);
    const ok = checkKey(key, val, expected, nowUnixSec, v);
    if (ok === 'unknown') {
      lines.push(`[restart] unknown/unhandled key: ${key}`);
      continue;
    }
    if (key.startsWith('mcts_')) ours.add(key);
    else seen++;
    if (!ok) {
      lines.push(`[restart] restart incompatible due to setting for [${key}] [old value: ${val}]`);
      isCompatible = false;
      break;
    }
  }
  // counted after a mismatch too: memcached then says both
  if (seen < REQUIRED_META_LINES || (isCompatible && ours.size < OUR_KEYS)) {
    lines.push('[restart] missing some metadata lines');
    return null;
  }
  return isCompatible ? v : null;
}

const OUR_KEYS = 7;

/** One metadata key: false when its value is bad or does not match, 'unknown' for keys we do not know. */
function checkKey(key: string, val: string, s: RestartSettings, nowUnixSec: number, v: MetaValues): boolean | 'unknown' {
  switch (key) {
    case 'mmap_oldbase':
      return /^(0[xX])?[0-9a-fA-F]+$/.test(val);
    case 'maxbytes':
      return parseSigned(val) === s.maxbytes;
    case 'chunk_size':
      return parseSigned(val) === s.chunkSize;
    case 'item_size_max':
      return parseSigned(val) === s.itemSizeMax;
    case 'slab_chunk_size_max':
      return parseSigned(val) === s.slabChunkMax;
    case 'slab_page_size':
      return parseSigned(val) === SLAB_PAGE_SIZE;
    case 'slab_config':
      return val === s.slabConfig;
    case 'use_cas':
      return val === String(s.useCas);
    case 'slab_reassign':
      return val === String(s.slabReassign);
    case 'current_cas': {
      const n = parseUnsigned(val, Number.MAX_SAFE_INTEGER);
      if (n === null) return false;
      v.nextCas = n;
      return true;
    }
    case 'oldest_cas': {
      const n = parseUnsigned(val, Number.MAX_SAFE_INTEGER);
      if (n === null) return false;
      v.oldestCas = n;
      return true;
    }
    case 'oldest_live': {
      const n = parseUnsigned(val, U32_MAX);
      if (n === null) return false;
      v.oldestLive = n;
      return true;
    }
    case 'logger_gid':
      return parseUnsigned(val, Number.MAX_SAFE_INTEGER) !== null;
    case 'current_time':
      return parseUnsigned(val, U32_MAX) !== null;
    case 'stop_time': {
      const n = parseSigned(val);
      // memcached refuses a clock that went backwards (and, unlike us, a start within the
      // stop's second: a quick `systemctl restart` would lose the cache for nothing)
      if (n === null || n > Math.floor(nowUnixSec)) return false;
      v.stopTime = n;
      return true;
    }
    case 'process_started': {
      const n = parseUnsigned(val, Number.MAX_SAFE_INTEGER);
      if (n === null) return false;
      v.processStarted = n;
      return true;
    }
    case 'hashpower': {
      const n = parseUnsigned(val, 32);
      if (n === null || n < 1) return false;
      v.hashPower = n;
      return true;
    }
    case 'mcts_format':
      return val === String(FORMAT);
    case 'mcts_data_token':
      if (!/^[0-9a-f]{32}$/.test(val)) return false;
      v.token = val;
      return true;
    case 'mcts_data_bytes': {
      const n = parseUnsigned(val, Number.MAX_SAFE_INTEGER);
      if (n === null) return false;
      v.dataBytes = n;
      return true;
    }
    case 'mcts_lru_segmented':
      return val === String(s.lruSegmented);
    case 'mcts_temp_lru':
      return val === String(s.tempLru);
    case 'mcts_curr_items': {
      const n = parseUnsigned(val, Number.MAX_SAFE_INTEGER);
      if (n === null) return false;
      v.currItems = n;
      return true;
    }
    case 'mcts_curr_bytes': {
      const n = parseUnsigned(val, Number.MAX_SAFE_INTEGER);
      if (n === null) return false;
      v.currBytes = n;
      return true;
    }
    default:
      return 'unknown';
  }
}

/** Reads PATH against checked metadata: the image, or why not. */
function readData(path: string, meta: MetaValues, pageFor: PageTarget): StoreImage | string {
  let fd: number;
  try {
    fd = openSync(path, 'r+');
  } catch (e: unknown) {
    return `cannot open the memory file: ${(e as Error).message}`;
  }
  try {
    const size = statSync(path).size;
    if (size !== meta.dataBytes) return 'the memory file has the wrong size';
    const header = Buffer.alloc(HEADER_BYTES);
    if (!readAll(fd, header, 0)) return 'the memory file is too short';
    if (!header.subarray(0, 8).equals(MAGIC) || header.readUInt32LE(8) !== FORMAT) return 'not a memcachedts memory file';
    if (header.readUInt32LE(12) !== BYTE_ORDER_MARK) return 'the memory file was written with another byte order';
    if (header.subarray(16, 32).toString('hex') !== meta.token) return 'the memory file belongs to another save';
    const slots = header.readUInt32LE(32);
    const hashPower = header.readUInt32LE(36);
    const live = header.readUInt32LE(40);
    if (hashPower !== meta.hashPower || slots > 32768 || live > slots) return 'the memory file header does not match';
    const fresh = freshState(slots, hashPower);
    const arrays = stateArrays(fresh.slabs, fresh.lru, fresh.buckets);
    const stateLen = stateBytes(arrays);
    const pagesAt = alignPage(STATE_OFFSET + stateLen);
    if (header.readDoubleLE(48) !== stateLen || header.readDoubleLE(56) !== size || pagesAt + live * SLAB_PAGE_SIZE !== size) {
      return 'the memory file header does not match';
    }
    const state = Buffer.allocUnsafe(stateLen);
    if (!readAll(fd, state, STATE_OFFSET)) return 'the memory file is too short';
    if (crc32(state) !== header.readUInt32LE(44)) return 'the memory file state fails its checksum';
    let at = 0;
    for (const a of arrays) {
      state.copy(bytesOf(a), 0, at, at + a.byteLength);
      at += pad8(a.byteLength);
    }
    let counted = 0;
    for (let p = 0; p < slots; p++) if (fresh.slabs.pageClass[p] !== 0) counted++;
    if (counted !== live) return 'the memory file header does not match';
    // Last page first, the file cut short behind each batch: on a RAM disk the file's memory goes
    // back as the process takes its own, instead of both being held at once (twice -m).
    const pages: Buffer[] = new Array<Buffer>(slots);
    let pos = pagesAt + live * SLAB_PAGE_SIZE;
    let sinceCut = 0;
    for (let p = slots - 1; p >= 0; p--) {
      if (fresh.slabs.pageClass[p] === 0) {
        pages[p] = Buffer.alloc(0);
        continue;
      }
      pos -= SLAB_PAGE_SIZE;
      const page = pageFor(p);
      if (page === null) return 'the memory file has more pages than this store can hold';
      if (!readAll(fd, page, pos)) return 'the memory file is too short';
      pages[p] = page;
      if (++sinceCut === TRUNCATE_EVERY_PAGES) {
        ftruncateSync(fd, pos);
        sinceCut = 0;
      }
    }
    return {
      slabs: fresh.slabs,
      pages,
      lruHead: fresh.lru.head,
      lruTail: fresh.lru.tail,
      lruCount: fresh.lru.count,
      lruBytes: fresh.lru.bytes,
      buckets: fresh.buckets,
      processStarted: meta.processStarted,
      // memcached's set_cas_id(saved): the saved value counts as handed out, the next is one up
      casId: meta.nextCas,
      oldestLive: meta.oldestLive,
      oldestCas: meta.oldestCas,
      currItems: meta.currItems,
      currBytes: meta.currBytes,
    };
  } catch (e: unknown) {
    return `cannot read the memory file: ${(e as Error).message}`;
  } finally {
    closeSync(fd);
  }
}

/**
 * Where a page slot's saved bytes go: the store's own page (Cache.restorePage), so that a
 * restore holds no second copy of -m; null when the store has no room for that slot.
 */
export type PageTarget = (slot: number) => Buffer | null;

/**
 * A start with -e: the saved image when PATH.meta is valid and matches, after which both files
 * are removed (the cache is in the process now; a crash must not bring back this old copy).
 */
export function loadMemoryFile(path: string, expected: RestartSettings, nowUnixSec: number, pageFor: PageTarget): RestartLoad {
  const lines: string[] = [];
  const meta = readMeta(path, expected, nowUnixSec, lines);
  if (meta === 'fatal') return { kind: 'fatal', lines };
  if (meta === 'clean') return { kind: 'clean', lines };
  const image = readData(path, meta, pageFor);
  removeDataFile(path);
  if (typeof image === 'string') {
    lines.push(`[restart] ${image}, starting with a clean cache`);
    return { kind: 'clean', lines };
  }
  return { kind: 'restored', lines, image };
}

/** The data file is of no use once read (or refused); on tmpfs it would hold -m of RAM. */
export function removeDataFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // not there: fine
  }
}
