// MEMCACHED_PORT_FILENAME: memcached writes the port of every TCP and UDP socket it bound,
// one `TCP INET: 11211` / `UDP INET6: 40123` line each, TCP first, in bind order, into
// `<name>.lck` and then renames it to `<name>`. Tests (t/issue_67.t) wait for the final name to
// appear, so the rename is what says "all listeners are bound"; with -p -1 / -U -1 this file is
// the only way to learn the ephemeral ports. A unix socket (-s) writes no file.

import { closeSync, openSync, renameSync, writeSync } from 'node:fs';
import net from 'node:net';
import { strerror } from '../errors.js';

export const PORT_FILE_ENV = 'MEMCACHED_PORT_FILENAME';

export interface BoundPort {
  readonly host: string;
  readonly port: number;
}

/** The file's text: one line per bound address, TCP before UDP. */
export function portFileText(tcp: readonly BoundPort[], udp: readonly BoundPort[]): string {
  let text = '';
  for (const a of tcp) text += 'TCP ' + family(a.host) + ': ' + a.port + '\n';
  for (const a of udp) text += 'UDP ' + family(a.host) + ': ' + a.port + '\n';
  return text;
}

function family(host: string): string {
  return net.isIPv6(host) ? 'INET6' : 'INET';
}

/**
 * Appends the lines to `<path>.lck` (opened with "a", as memcached's fopen does) and renames it
 * to `<path>`. Returns memcached's stderr line when the file cannot be opened, else null; as in
 * memcached, a failure here never stops the server.
 */
export function writePortFile(path: string, tcp: readonly BoundPort[], udp: readonly BoundPort[]): string | null {
  const tmp = path + '.lck';
  let fd: number;
  try {
    fd = openSync(tmp, 'a', 0o666);
  } catch (e: unknown) {
    return 'Failed to open "' + tmp + '": ' + strerror(e);
  }
  // memcached ignores what fprintf, fclose and rename return: so do we.
  try {
    writeSync(fd, portFileText(tcp, udp));
  } catch {
    // a full disk leaves a short file, as in memcached
  }
  try {
    closeSync(fd);
    renameSync(tmp, path);
  } catch {
    // see above
  }
  return null;
}
