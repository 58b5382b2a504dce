// Preloaded by thread-memory.ts (THREAD_MEMORY_HEAP=1) with `node --import`, which runs it in
// the main thread and in every serving thread: on SIGUSR2 to the process, each thread writes
// one line `thread-heap <threadId> <used MiB> <committed MiB>` (V8's used and physical heap) to
// stderr. The main thread gets the signal and tells the others on a BroadcastChannel.
import v8 from 'node:v8';
import { writeSync } from 'node:fs';
import { BroadcastChannel, isMainThread, threadId } from 'node:worker_threads';

const CHANNEL = 'memcachedts-thread-heap';
const MIB = 1024 * 1024;

function report(): void {
  const h = v8.getHeapStatistics();
  writeSync(2, `thread-heap ${threadId} ${(h.used_heap_size / MIB).toFixed(1)} ${(h.total_physical_size / MIB).toFixed(1)}\n`);
}

const channel = new BroadcastChannel(CHANNEL);
channel.unref();
channel.onmessage = report;
if (isMainThread) {
  process.on('SIGUSR2', () => {
    report();
    channel.postMessage('report');
  });
}
