// Wakes the Cache that runs the store's background jobs when a verb in another thread's Cache
// wants them now (a crawl started, a page move to go on with), as memcached signals its crawler
// and maintainer threads. Without it the request waited for the next idle tick (up to a second):
// `lru_crawler crawl` on one thread, then another on a second connection, answered BUSY where
// memcached's crawler had long finished. The background thread waits with Atomics.waitAsync (a
// promise in its event loop; it does not keep the process alive); the others bump and notify.

import { BACKGROUND_WAKE_AT } from './shared-layout.js';

/** Atomics.waitAsync (ES2024, in Node 20's V8; the project's lib setting predates it). */
type WaitAsync = (word: Int32Array, index: number, value: number) =>
  { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

export class BackgroundWake {
  private readonly word: Int32Array;
  private onWake: (() => void) | null = null;
  private closed = false;

  constructor(control: SharedArrayBuffer) {
    this.word = new Int32Array(control, BACKGROUND_WAKE_AT, 1);
  }

  /** Another thread wants the background jobs soon. */
  ring(): void {
    Atomics.add(this.word, 0, 1);
    Atomics.notify(this.word, 0);
  }

  /** In the Cache that runs the background jobs: onWake runs in this thread after each ring. */
  listen(onWake: () => void): void {
    this.onWake = onWake;
    this.wait();
  }

  private wait(): void {
    if (this.closed) return;
    const seen = Atomics.load(this.word, 0);
    const result = waitAsync(this.word, 0, seen);
    if (result.async) void result.value.then(this.woken);
    else setImmediate(this.woken); // rung between the load and the wait
  }

  private readonly woken = (): void => {
    if (this.closed) return;
    this.onWake!();
    this.wait();
  };

  /** Stops listening (a pending wait is released by a ring of its own). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.onWake !== null) this.ring();
  }
}
