// Slab class geometry, computed exactly as memcached's slabs_init does for the same -n, -f
// and slab_chunk_max, so `stats slabs` and `-vv` agree with memcached byte for byte.

/** memcached's sizeof(item) on 64-bit builds: the base every chunk size grows from. */
export const MC_ITEM_HEADER = 48;
export const SLAB_PAGE_SIZE = 1024 * 1024;
export const CHUNK_ALIGN_BYTES = 8;
/** memcached MAX_NUMBER_OF_SLAB_CLASSES (class ids 1..63). */
export const MAX_SLAB_CLASSES = 64;

export interface SlabGeometry {
  /** chunkSize[cls] for cls 1..largest; index 0 unused. */
  readonly chunkSize: readonly number[];
  readonly perSlab: readonly number[];
  readonly largest: number;
}

export function computeSlabClasses(chunkSizeMin: number, factor: number, slabChunkMax: number): SlabGeometry {
  const chunkSize = [0];
  const perSlab = [0];
  let size = MC_ITEM_HEADER + chunkSizeMin;
  let i = 0;
  while (++i < MAX_SLAB_CLASSES - 1) {
    if (size >= slabChunkMax / factor) break;
    if (size % CHUNK_ALIGN_BYTES !== 0) size += CHUNK_ALIGN_BYTES - (size % CHUNK_ALIGN_BYTES);
    chunkSize.push(size);
    perSlab.push(Math.floor(SLAB_PAGE_SIZE / size));
    size = Math.floor(size * factor); // unsigned int *= double truncates
  }
  chunkSize[i] = slabChunkMax;
  perSlab[i] = Math.floor(SLAB_PAGE_SIZE / slabChunkMax);
  return { chunkSize, perSlab, largest: i };
}

/** `slab class %3d: chunk size %9u perslab %7u`, as memcached -vv prints at start-up. */
export function describeSlabClass(cls: number, chunkSize: number, perSlab: number): string {
  return `slab class ${String(cls).padStart(3)}: chunk size ${String(chunkSize).padStart(9)} perslab ${String(perSlab).padStart(7)}`;
}
