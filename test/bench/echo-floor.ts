// The floor under memcachedts's per-request cost: a server built from its own socket layer
// (static reads, direct writes: src/net/static-read.ts, socket-writer.ts) that answers every
// read with `END\r\n`, no parsing, no store. Side by side with memcached it says what Node's
// socket work alone costs per request (bench/README.md, "session 9"). For loads of one request
// in flight per connection and small values only (ascii-90-10, multiget-10, conns-500):
//
//   BENCH_A=floor BENCH_PAIRED=1 BENCH_ONLY=ascii-90-10,conns-500 npm run bench
//   node dist/test/bench/echo-floor.js --port P
import net from 'node:net';
import { acceptWithStaticReads, setReadTarget } from '../../src/net/static-read.js';
import { SocketWriter } from '../../src/net/socket-writer.js';
import { numArg, parseArgs } from './text-replies.js';

const END = Buffer.from('END\r\n', 'latin1');
const port = numArg(parseArgs(process.argv.slice(2)), 'port', 0);

const server = net.createServer({ noDelay: true });
server.listen(port, '127.0.0.1', () => {
  const isStatic = acceptWithStaticReads(
    server,
    (socket) => {
      socket.setNoDelay(true);
      socket.on('error', () => socket.destroy());
      const writer = new SocketWriter(socket, () => {});
      setReadTarget(socket, {
        onBytes: () => writer.write(END),
        nextReadBuffer: () => null,
      });
    },
    (message) => process.stderr.write(message + '\n'),
  );
  if (!isStatic) {
    process.stderr.write('echo-floor: static reads are not available in this Node\n');
    process.exit(1);
  }
});
process.on('SIGTERM', () => process.exit(0));
