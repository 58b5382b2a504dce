// A background timer for the store's maintenance loops (LRU maintainer, crawler): every wake-up
// arms the next one, with a delay that is usually the same as last time (1 ms under load).
// setTimeout would make a new Timeout every time, and Node drops and rebuilds a delay's timer
// list whenever it runs empty: garbage at up to a thousand wake-ups a second. So the timer is an
// interval that keeps running while each wake-up asks for the same delay again, and is replaced
// only when the delay changes (or stopped when a wake-up arms nothing). Never keeps the process
// alive (unref).

export class RearmTimer {
  private readonly onFire: () => void;
  private interval: NodeJS.Timeout | null;
  private delayMs: number;
  /** arm() was called since the last wake-up began. */
  private isArmed: boolean;

  constructor(onFire: () => void) {
    this.onFire = onFire;
    this.interval = null;
    this.delayMs = -1;
    this.isArmed = false;
  }

  /**
   * Fires onFire delayMs from now, or from the previous wake-up when that is already the
   * running delay (a maintenance loop does not mind the difference).
   */
  arm(delayMs: number): void {
    this.isArmed = true;
    if (this.interval !== null && delayMs === this.delayMs) return;
    if (this.interval !== null) clearInterval(this.interval);
    this.delayMs = delayMs;
    this.interval = setInterval(this.fire, delayMs);
    this.interval.unref();
  }

  cancel(): void {
    if (this.interval !== null) clearInterval(this.interval);
    this.interval = null;
    this.delayMs = -1;
    this.isArmed = false;
  }

  private readonly fire = (): void => {
    this.isArmed = false;
    try {
      this.onFire();
    } finally {
      if (!this.isArmed) this.cancel(); // the loop asked for no next wake-up
    }
  };
}
