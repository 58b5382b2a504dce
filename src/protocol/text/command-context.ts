// What a text command (the *-commands.ts files) sees of its connection's text front end: the
// per-connection state a command reads and sets. front-end.ts's TextFrontEnd provides it; the
// commands depend on this interface rather than on the front end, which calls them.

import type { Session } from '../session.js';
import type { ServerContext } from '../../server-context.js';
import type { ValueConsumer } from '../reader-contract.js';
import type { MetaStateOwner } from '../meta/commands.js';

export interface TextCommandContext extends MetaStateOwner {
  readonly session: Session;
  readonly ctx: ServerContext;
  /** The classic storage commands' value consumer, made on first use (storage-commands.ts). */
  classicConsumer: ValueConsumer<Session> | null;
  /** noreply seen on the current command (memcached's c->noreply, reset per line). */
  noreply: boolean;
  /** out.length at memcached's last flush point in this batch (see TextFrontEnd.flushMark). */
  flushMark: number;
  /** `watch`: the connection only streams and reads no more commands. */
  isWatching: boolean;
  /** memcached writes its replies out here (after a get, at mn): they can no longer be culled. */
  markFlushPoint(): void;
  /** Stops this get line at buffer offset p; the next read() resumes it with these arguments. */
  suspendGet(p: number, returnCas: boolean, shouldTouch: boolean, exptime: number): void;
}
