// A fake server for measuring the load generators' ceiling: it answers every `get` line with one
// fixed 100-byte hit and every `set` with STORED, one write per read, doing no real work. What
// pipeline-load.js reaches against it is the most it can measure.
//
//   node dist/test/bench/fake-server.js --port P
import net from 'node:net';
import { makeValue, numArg, parseArgs } from './text-replies.js';

const args = parseArgs(process.argv.slice(2));
const port = numArg(args, 'port', 0);
const KEY = 'bench:pipe:00000000';
const HIT = Buffer.concat([Buffer.from(`VALUE ${KEY} 0 100\r\n`), makeValue(100), Buffer.from('\r\nEND\r\n')]);
const STORED = Buffer.from('STORED\r\n');
const MAX = 4096;
const HITS = Buffer.concat(Array.from({ length: MAX }, () => HIT));

const server = net.createServer({ noDelay: true }, (sock) => {
  let skip = 0; // set data still to skip
  let rest: Buffer | null = null; // an unfinished line from the last read
  sock.on('data', (chunk: Buffer) => {
    const d = rest ? Buffer.concat([rest, chunk]) : chunk;
    rest = null;
    let gets = 0;
    let stores = 0;
    let i = 0;
    while (i < d.length) {
      if (skip > 0) {
        const n = Math.min(skip, d.length - i);
        skip -= n;
        i += n;
        continue;
      }
      const lf = d.indexOf(10, i);
      if (lf < 0) {
        rest = Buffer.from(d.subarray(i));
        break;
      }
      if (d[i] === 0x67 /* g */) {
        gets++;
      } else if (d[i] === 0x73 /* s */) {
        // set <key> <flags> <exp> <bytes>
        let j = lf - 1;
        while (j > i && (d[j] === 13 || d[j] === 32)) j--;
        let end = j + 1;
        while (j > i && d[j] !== 32) j--;
        let n = 0;
        for (let k = j + 1; k < end; k++) n = n * 10 + (d[k]! - 48);
        skip = n + 2;
        end = 0;
        stores++;
      }
      i = lf + 1;
    }
    if (stores > 0) sock.write(Buffer.concat(Array.from({ length: stores }, () => STORED)));
    while (gets > 0) {
      const n = Math.min(gets, MAX);
      sock.write(n === MAX ? HITS : HITS.subarray(0, n * HIT.length));
      gets -= n;
    }
  });
  sock.on('error', () => undefined);
});
server.listen(port, '127.0.0.1', () => process.stdout.write('listening\n'));
