// `-o metrics_listen=ADDR:PORT`: where the Prometheus endpoint listens. Only loopback or a
// private address is accepted: /metrics tells anyone who can read it how busy the cache is and
// how it is set up, so it must not face the internet (and a wildcard would). Pure parsing; the
// check against the memcached ports is done by the caller, which knows them.

import net from 'node:net';

export interface MetricsAddress {
  readonly host: string; // an IP literal
  readonly port: number;
}

/** `127.0.0.1:9150`, `[::1]:9150`, `localhost:9150` -> an address, or the reason it is refused. */
export function parseMetricsListen(text: string): MetricsAddress | { error: string } {
  const bad = (why: string): { error: string } => ({ error: `metrics_listen=${text}: ${why}` });
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') return bad('expected [IPv6]:PORT');
    host = text.slice(1, close);
    portText = text.slice(close + 2);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon <= 0 || text.indexOf(':') !== colon) return bad('expected ADDRESS:PORT (IPv6 as [ADDRESS]:PORT)');
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
  }
  if (!/^[0-9]{1,5}$/.test(portText)) return bad('the port must be a number from 1 to 65535');
  const port = Number(portText);
  if (port < 1 || port > 65535) return bad('the port must be a number from 1 to 65535');
  if (host === 'localhost') host = '127.0.0.1';
  if (net.isIP(host) === 0) return bad('the address must be an IP address (or localhost)');
  if (!isLoopbackOrPrivate(host)) {
    return bad('the address must be loopback (127.0.0.0/8, ::1) or private (10/8, 172.16/12, 192.168/16, fc00::/7)');
  }
  return { host, port };
}

/** Loopback, RFC 1918 and IPv6 unique-local addresses (also as IPv4-mapped IPv6). */
export function isLoopbackOrPrivate(host: string): boolean {
  if (net.isIPv4(host)) return isLoopbackOrPrivateV4(host);
  if (!net.isIPv6(host)) return false;
  const h = host.toLowerCase();
  if (h.startsWith('::ffff:') && net.isIPv4(h.slice(7))) return isLoopbackOrPrivateV4(h.slice(7));
  if (expandsToLoopbackV6(h)) return true;
  // fc00::/7: the first group is fcXX or fdXX (written with all four digits when it is).
  const first = h.split(':')[0] ?? '';
  return first.length === 4 && (first.startsWith('fc') || first.startsWith('fd'));
}

function isLoopbackOrPrivateV4(host: string): boolean {
  const [a = 0, b = 0] = host.split('.').map(Number);
  return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}

function expandsToLoopbackV6(h: string): boolean {
  // ::1, 0::1, 0:0:0:0:0:0:0:1 and the like: every group zero but a last group of 1.
  const groups = h.split(':');
  const last = groups[groups.length - 1];
  if (last === undefined || Number.parseInt(last, 16) !== 1) return false;
  return groups.slice(0, -1).every((g) => g === '' || Number.parseInt(g, 16) === 0);
}
