// Helpers for the binary protocol unit tests: a server context over a real store on a manual
// clock and a fake authenticator. Packets come from support/binary-packets.ts; sessions are fed
// with support/session-driver.ts.
import type { Authenticator, SourceReport } from '../../../../src/auth/authenticator.js';
import type { Settings } from '../../../../src/config/settings.js';
import { ManualClock } from '../../../../src/store/clock.js';
import { makeTestContext, type TestContext } from '../../../support/context.js';

/** An Authenticator with fixed users (the real one is tested in test/unit/auth). */
export class FakeAuth implements Authenticator {
  readonly mechanisms: readonly string[];
  private readonly users: Map<string, string>;
  constructor(users: Record<string, string>, mechanisms: readonly string[] = ['PLAIN']) {
    this.users = new Map(Object.entries(users));
    this.mechanisms = mechanisms;
  }
  checkPlain(authzid: string, authcid: string, password: string): boolean {
    if (authzid !== '' && authzid !== authcid) return false;
    return this.users.get(authcid) === password;
  }
  checkCramMd5(): boolean | undefined {
    return undefined;
  }
  reload(): void {}
  sources(): readonly SourceReport[] {
    return [];
  }
  sourceErrors(): number {
    return 0;
  }
}

export interface TestCtx {
  ctx: TestContext;
  clock: ManualClock;
  close(): void;
}

/** The shared test context on a ManualClock, without the LRU crawler, with SASL when given. */
export function makeCtx(overrides: Partial<Settings> = {}, sasl: Authenticator | null = null, logLevel = 0): TestCtx {
  const clock = new ManualClock();
  const ctx = makeTestContext({ settings: { lruCrawler: false, ...overrides }, sasl, logLevel, clock });
  return { ctx, clock, close: () => ctx.store.close() };
}
