// A blocking sleep without a timer: Atomics.wait on a word nobody notifies (Node allows it on
// the main thread too). For the short waits of code that cannot yield to the event loop.

const SLEEP_WORD = new Int32Array(new SharedArrayBuffer(4));

/** Blocks this thread for ms milliseconds (fractions allowed). */
export function sleepSync(ms: number): void {
  Atomics.wait(SLEEP_WORD, 0, 0, ms);
}
