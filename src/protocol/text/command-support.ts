// What every classic text command shares: memcached's out_string (a reply line, suppressed
// under noreply), its conn_closing, and its token counting (ntokens, set_noreply_maybe).
//
// Token counts: memcached counts a terminal token, so its `ntokens` is our count + 1 for up to
// 23 tokens; a line with more tokens leaves the rest in the 24th (ours) / terminal (memcached's).

import { SessionAction } from '../reader-contract.js';
import { MAX_TOKENS, type Tokens } from './tokenizer.js';
import type { TextCommandContext } from './command-context.js';

/** out_string: a whole pre-encoded line, suppressed under noreply; -vv logs it either way. */
export function reply(r: TextCommandContext, line: Buffer): void {
  const log = r.ctx.log;
  if (r.noreply) {
    if (log.level >= 2) log.line('>' + r.session.conn.id + ' NOREPLY ' + line.toString('latin1', 0, line.length - 2));
    return;
  }
  if (log.level >= 2) log.line('>' + r.session.conn.id + ' ' + line.toString('latin1', 0, line.length - 2));
  r.session.out.append(line);
}

/** out_string with a run-time text (rare paths only). */
export function replyText(r: TextCommandContext, text: string): void {
  const log = r.ctx.log;
  if (r.noreply) {
    if (log.level >= 2) log.line('>' + r.session.conn.id + ' NOREPLY ' + text);
    return;
  }
  if (log.level >= 2) log.line('>' + r.session.conn.id + ' ' + text);
  const out = r.session.out;
  out.appendAscii(text);
  out.appendCrlf();
}

/**
 * memcached's conn_closing: the replies it had not flushed yet are lost, those it had flushed
 * (up to the last get in this batch) were already written.
 */
export function closeNow(r: TextCommandContext): void {
  r.session.out.truncateTo(r.flushMark);
  r.session.action = SessionAction.CloseAfterFlush;
}

/** memcached's ntokens (with the terminal token) for our token count. */
export function mcTokens(count: number): number {
  return count < MAX_TOKENS ? count + 1 : MAX_TOKENS;
}

/** set_noreply_maybe: the last token (memcached's tokens[ntokens - 2]) is `noreply`. */
export function setNoreplyMaybe(r: TextCommandContext, t: Tokens): boolean {
  const i = mcTokens(t.count) - 2;
  if (i >= 0 && t.is(i, 'noreply')) r.noreply = true;
  return r.noreply;
}
