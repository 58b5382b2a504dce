// A worker_threads body for threads-accept.test.ts: listens on the descriptor it is given (or,
// with none, binds 127.0.0.1 on an ephemeral port itself and reports its descriptor), and
// answers every connection with its own worker number and a newline, keeping it open.
import net from 'node:net';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

export interface AcceptWorkerData {
  /** The listening descriptor to share; null: bind one and report it. */
  readonly fd: number | null;
  readonly workerNo: number;
}

/** What a worker posts once it listens. */
export interface AcceptWorkerReady {
  readonly fd: number;
  readonly port: number;
}

/** The descriptor under a listening net.Server (Node keeps it on the libuv handle). */
export function listeningFd(server: net.Server): number {
  return (server as unknown as { _handle: { fd: number } })._handle.fd;
}

function run(data: AcceptWorkerData): void {
  const reply = Buffer.from(data.workerNo + '\n', 'latin1');
  const server = net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
    socket.write(reply);
  });
  const ready = (): void => {
    const ready: AcceptWorkerReady = { fd: listeningFd(server), port: (server.address() as net.AddressInfo).port };
    parentPort!.postMessage(ready);
  };
  if (data.fd === null) server.listen({ port: 0, host: '127.0.0.1' }, ready);
  else server.listen({ fd: data.fd }, ready);
}

if (!isMainThread) run(workerData as AcceptWorkerData);
