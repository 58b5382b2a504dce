// refresh_certs (memcached's process_refresh_certs_command, built with TLS): -Z's certificate,
// key and CA are read again for connections accepted from now on. The answer is `OK`, or the
// first loading error (the old certificates stay), which memcached writes even under noreply
// and without a -vv line; without -Z it is `Error TLS not enabled`.

import type { TextCommandContext } from './command-context.js';
import type { Tokens } from './tokenizer.js';
import { REPLY_OK } from '../replies.js';
import { reply, setNoreplyMaybe } from './command-support.js';

const TLS_NOT_ENABLED = 'Error TLS not enabled';

/** refresh_certs [noreply] (extra tokens are ignored, as memcached does). */
export function processRefreshCerts(r: TextCommandContext, t: Tokens): void {
  setNoreplyMaybe(r, t);
  const tls = r.ctx.tls ?? null;
  const error = tls === null ? TLS_NOT_ENABLED : tls.refreshCerts();
  const out = r.session.out;
  if (error !== null) {
    out.appendAscii(error);
    out.appendCrlf();
    return;
  }
  reply(r, REPLY_OK);
}
