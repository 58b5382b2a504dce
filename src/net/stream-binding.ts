// Node's stream_wrap binding (through process.binding, which Node 20 still offers for it): the
// write request class and the shared state array its stream handles report through. Used by
// socket-writer.ts (writes straight to the handle) and static-read.ts (a leaner onread). null
// when MEMCACHEDTS_PLAIN_SOCKETS=1 or when this Node does not have it in the expected shape;
// both modules then leave Node's own socket code in charge.

export interface StreamBinding {
  WriteWrap: new () => object;
  /** Int32Array: the byte count of the last read, of the last write, whether it went async. */
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kBytesWritten: number;
  kLastWriteWasAsync: number;
}

/** Set MEMCACHEDTS_PLAIN_SOCKETS=1 to use Node's ordinary sockets only (for comparison). */
export const isPlainSockets = process.env['MEMCACHEDTS_PLAIN_SOCKETS'] === '1';

function loadBinding(): StreamBinding | null {
  if (isPlainSockets) return null;
  try {
    const binding = (process as unknown as { binding?: (name: string) => unknown }).binding;
    if (typeof binding !== 'function') return null;
    const b = binding.call(process, 'stream_wrap') as Partial<StreamBinding> | null;
    if (b === null || typeof b.WriteWrap !== 'function' || !(b.streamBaseState instanceof Int32Array)) return null;
    if (typeof b.kBytesWritten !== 'number' || typeof b.kLastWriteWasAsync !== 'number' || typeof b.kReadBytesOrError !== 'number') return null;
    return b as StreamBinding;
  } catch {
    return null;
  }
}

export const STREAM_BINDING: StreamBinding | null = loadBinding();
