// What a client connection is to the rest of the server: how net/ describes it to protocol/,
// and what the server-wide list of live connections (`stats conns`) needs of it. Apart from
// protocol/'s Session so that the server context and stats/ can name connections without it.

export type Transport = 'tcp' | 'udp' | 'unix';

export interface ConnInfo {
  /** A small integer like memcached's fd, used in -vv lines and `stats conns`. */
  readonly id: number;
  readonly transport: Transport;
  /** `tcp:127.0.0.1:49862`, `udp:...`, `unix:/path` style, as `stats conns` prints addr. */
  readonly peer: string;
  /** The listener's address as `stats conns` prints listen_addr. */
  readonly listenAddr: string;
}

/** A client connection as the server-wide list holds it (protocol/'s Session is one). */
export interface LiveConnection {
  readonly conn: ConnInfo;
  /** memcached's conn state name for `stats conns`. */
  readonly stateName: string;
  /** Server-relative seconds of the last command. */
  readonly lastCommandTime: number;
}
