// -e PATH in the process lifecycle, done by serving thread 1 (threads/host.ts): restore at start
// (before the slab classes are printed and before anything listens, as memcached does), save at
// a graceful stop (SIGUSR1 or `shutdown graceful`) once every thread's connections are gone. The file format and checks are store/memory-file.ts.

import type { Settings } from '../config/settings.js';
import type { AppLogger } from '../log/logger.js';
import type { Cache } from '../store/cache.js';
import { loadMemoryFile, saveMemoryFile, type RestartSettings } from '../store/memory-file.js';
import { errorMessage } from '../errors.js';

const MIB = 1024 * 1024;

export function restartSettingsOf(settings: Settings): RestartSettings {
  return {
    maxbytes: settings.memLimitBytes,
    chunkSize: settings.chunkSizeMin,
    itemSizeMax: settings.itemSizeMax,
    slabChunkMax: settings.slabChunkMax,
    slabConfig: settings.slabConfig,
    useCas: settings.casEnabled,
    slabReassign: settings.slabReassign,
    lruSegmented: settings.lruSegmented,
    tempLru: settings.tempLru,
  };
}

/**
 * Brings back the cache a graceful stop saved. Returns the text to fail the start with (what
 * memcached aborts on: a metadata file without its tag line), or null to go on, warm or cold.
 */
export function restoreAtStart(store: Cache, settings: Settings, log: AppLogger): string | null {
  const path = settings.memoryFile;
  if (path === null) return null;
  const started = performance.now();
  const found = loadMemoryFile(path, restartSettingsOf(settings), Date.now() / 1000, (slot) => store.restorePage(slot));
  if (found.kind === 'fatal') return found.lines.join('\n');
  for (const line of found.lines) log.line(line);
  if (found.kind === 'clean') return null;
  const why = store.restoreImage(found.image);
  if (why !== null) {
    log.line(`[restart] ${why}, starting with a clean cache`);
    return null;
  }
  if (log.level > 0) {
    const ms = Math.round(performance.now() - started);
    const mib = (found.image.slabs.pageClass.filter((c) => c !== 0).length * MIB) / MIB;
    log.line(`[restart] restored ${found.image.currItems} items (${mib} MiB of pages) from ${path} in ${ms} ms`);
  }
  return null;
}

/** The graceful stop's save; failures are reported, and the stop goes on (memcached's too). */
export function saveAtStop(store: Cache, settings: Settings, log: AppLogger): void {
  const path = settings.memoryFile;
  if (path === null) return;
  const started = performance.now();
  try {
    const figures = saveMemoryFile(path, store.exportImage(), restartSettingsOf(settings), Date.now() / 1000);
    if (log.level > 0) {
      const ms = Math.round(performance.now() - started);
      log.line(`[restart] saved ${figures.pages} MiB of pages to ${path} in ${ms} ms`);
    }
  } catch (e: unknown) {
    log.error(`[restart] failed to save metadata: ${errorMessage(e)}`);
  }
}
