// refresh_certs (memcached's process_refresh_certs_command, built with TLS): -Z's certificate,
// key and CA are read again for connections accepted from now on. The answer is `OK`, or the
// first loading error (the old certificates stay), which memcached writes even under noreply
// and without a -vv line; without -Z it is `Error TLS not enabled`.

import type { TextCommandContext } from './command-context.js';
import type { Tokens } from './tokenizer.js';
import { REPLY_OK } from '../replies.js';

const TLS_NOT_ENABLED = 'Error TLS not enabled';

/** refresh_certs [noreply] (extra tokens are ignored, as memcached does). */
export function processRefreshCerts(r: TextCommandContext, t: Tokens): void {
  if (t.is(t.count - 1, 'noreply')) r.noreply = true;
  const tls = r.ctx.tls ?? null;
  const error = tls === null ? TLS_NOT_ENABLED : tls.refreshCerts();
  const out = r.session.out;
  if (error !== null) {
    out.appendAscii(error);
    out.appendCrlf();
    return;
  }
  const log = r.ctx.log;
  if (log.level >= 2) log.line('>' + r.session.conn.id + (r.noreply ? ' NOREPLY OK' : ' OK'));
  if (!r.noreply) out.append(REPLY_OK);
}
