// Free TCP/UDP ports on loopback for tests (never 11211, never -p 0).
import net from 'node:net';
import dgram from 'node:dgram';

// Below Linux's ephemeral range (32768-60999 by default): a port there can be handed to some
// test's outgoing connection between our check and the daemon's bind. Picked at random, so two
// test files running at once do not walk the same sequence.
const PORT_MIN = 20000;
const PORT_SPAN = 12000;

function tcpFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A port free for TCP on 127.0.0.1 and ::1 and for UDP on 127.0.0.1. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const port = PORT_MIN + Math.floor(Math.random() * PORT_SPAN);
    if ((await tcpFree(port, '127.0.0.1')) && (await tcpFree(port, '::1').catch(() => true)) && (await udpFree(port))) {
      return port;
    }
  }
  throw new Error('no free port found');
}
