// memcached's -l syntax (1.6.18 server_sockets()): repeated -l joined with ',', entries split on
// ',' and ';', each `host`, `host:port`, `[v6]`, `[v6]:port`, a bare IPv6 address (more than
// one ':'), or `*`; optional `tag[name]:`, `notls:` and `proto[...]:` prefixes. Names such as
// `localhost` stay names here and are resolved when binding.

import net from 'node:net';
import type { ListenAddress } from './settings.js';
import { safeStrtol } from '../common/c-numbers.js';

export type ListenWarning = (message: string) => void;

/**
 * Joins repeated -l values the way memcached's option loop does, quirk included: a value that
 * is a substring of what is already listed is skipped (strstr), so `-l 127.0.0.10 -l 127.0.0.1`
 * binds only 127.0.0.10. The result is what `stats settings` shows as `inter`.
 */
export function joinListenArgs(specs: readonly string[]): string {
  let joined: string | null = null;
  for (const spec of specs) {
    if (joined === null) joined = spec;
    else if (!joined.includes(spec)) joined = joined + ',' + spec;
  }
  return joined ?? '';
}

const TAG_MAX = 8;

/**
 * Parses the -l values into addresses with their TCP port (defaultPort = -p when an entry gives
 * none). No -l at all gives [] ("all IPv4 and IPv6 interfaces"). Errors carry memcached's first
 * line (`Invalid port number: "abc"`); the caller adds `failed to listen on ...`.
 */
export function parseListenSpec(
  specs: readonly string[],
  defaultPort: number,
  onWarning?: ListenWarning,
): ListenAddress[] | { error: string } {
  if (specs.length === 0) return [];
  const warned = new Set<string>();
  const warnOnce = (key: string, message: string): void => {
    if (onWarning === undefined || warned.has(key)) return;
    warned.add(key);
    onWarning(message);
  };

  const out: ListenAddress[] = [];
  const list = joinListenArgs(specs);
  for (const token of list.split(/[,;]/)) {
    if (token === '') continue; // strtok skips empty fields
    let p = token;
    let notls = false;

    // Prefixes, in any order: tag[name]:, notls:, proto[name]:
    for (;;) {
      if (p.startsWith('tag[')) {
        const close = p.indexOf(']');
        const tag = close < 0 ? p.slice(4) : p.slice(4, close);
        if (close < 0 || tag.length < 1 || tag.length > TAG_MAX) {
          return { error: `Listener tags must be between 1 and ${TAG_MAX} characters: "${tag}"` };
        }
        p = p.slice(close + 1);
        if (p.startsWith(':')) p = p.slice(1);
        warnOnce('tag', 'WARNING: listener tags (tag[...]:) are accepted and ignored: they only matter to memcached\'s proxy');
        continue;
      }
      if (p.startsWith('notls:')) {
        p = p.slice(6);
        notls = true;
        continue;
      }
      if (p.startsWith('proto[')) {
        const close = p.indexOf(']');
        if (close < 0) return { error: `Invalid listener protocol: "${p}"` };
        p = p.slice(close + 1);
        if (p.startsWith(':')) p = p.slice(1);
        warnOnce('proto', 'WARNING: per-listener proto[...]: prefixes are ignored: every listener uses the -B protocol');
        continue;
      }
      break;
    }

    let host: string;
    let port = defaultPort;
    let explicitPort = false;
    if (p.startsWith('[')) {
      const close = p.indexOf(']');
      if (close < 0) return { error: `Invalid IPV6 address: "${p}"` };
      host = p.slice(1, close);
      const rest = p.slice(close + 1);
      if (rest !== '') {
        if (!rest.startsWith(':')) return { error: `Invalid IPV6 address: "${p}"` };
        const parsed = parsePort(rest.slice(1));
        if (parsed === null) return { error: `Invalid port number: "${rest.slice(1)}"` };
        port = parsed;
        explicitPort = true;
      }
      if (!net.isIPv6(host)) return { error: `Invalid IPV6 address: "${p}"` };
    } else {
      const colon = p.indexOf(':');
      if (colon >= 0 && p.indexOf(':', colon + 1) < 0) {
        host = p.slice(0, colon);
        const parsed = parsePort(p.slice(colon + 1));
        if (parsed === null) return { error: `Invalid port number: "${p.slice(colon + 1)}"` };
        port = parsed;
        explicitPort = true;
      } else {
        host = p; // a name, an IPv4 address, a bare IPv6 address or *
      }
    }

    if (host === '*' || host === '') {
      // getaddrinfo(NULL, AI_PASSIVE): every IPv4 and IPv6 interface.
      out.push(address('0.0.0.0', port, false, explicitPort, notls));
      out.push(address('::', port, true, explicitPort, notls));
    } else {
      out.push(address(host, port, net.isIPv6(host), explicitPort, notls));
    }
  }
  if (out.length === 0) return { error: `No address to listen on: "${list}"` };
  return out;
}

function address(host: string, port: number, isIpv6: boolean, explicitPort: boolean, notls: boolean): ListenAddress {
  return notls ? { host, port, isIpv6, explicitPort, notls } : { host, port, isIpv6, explicitPort };
}

/**
 * memcached's safe_strtol on the port text (common/c-numbers.ts: `+80` and `80 ` pass, `80x`
 * does not), up to 65535, or null. Negative numbers pass as memcached passes them: -1 asks for
 * an ephemeral port and the others fail at bind time as getaddrinfo fails them. (memcached
 * lets getaddrinfo wrap 99999 to 34463; we refuse.)
 */
function parsePort(text: string): number | null {
  const n = safeStrtol(Buffer.from(text, 'latin1'), 0, text.length);
  return Number.isNaN(n) || n > 65535 ? null : n;
}
