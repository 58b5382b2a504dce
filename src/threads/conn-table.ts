// The connection table of a -t N server (docs/threads.md, "Shared memory"): one record per
// client connection of every serving thread, so that `stats conns` on any thread lists them all.
// A thread writes only its own records (claimed with a compare-exchange on the id word) and
// reads the others' without locks: a record being rewritten may show its previous state, as
// memcached's racy read of other threads' conns.

/** The states `stats conns` prints, by code (a record holds the code). */
const STATE_NAMES = ['conn_new_cmd', 'conn_parse_cmd', 'conn_nread', 'conn_swallow', 'conn_watch', 'conn_read', 'conn_closing'];

// Int32 words of a record.
const ID = 0; // 0: free
const THREAD = 1;
const STATE = 2;
const LAST_COMMAND = 3; // server-relative seconds
const PEER_LEN = 4;
const LISTEN_LEN = 5;
const HEADER_BYTES = 24;
const TEXT_BYTES = 64; // `tcp6:[ffff:...]:65535` fits
const RECORD_BYTES = HEADER_BYTES + 2 * TEXT_BYTES;
const RECORD_WORDS = RECORD_BYTES >>> 2;

/** A connection as another thread's record shows it. */
export interface ConnRecord {
  readonly id: number;
  readonly peer: string;
  readonly listenAddr: string;
  readonly stateName: string;
  readonly lastCommandTime: number;
}

export class ConnTable {
  readonly buffer: SharedArrayBuffer;
  private readonly words: Int32Array;
  private readonly bytes: Buffer;
  private readonly slots: number;
  /** Where this thread looks for a free record first. */
  private hint = 0;

  constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.slots = Math.floor(buffer.byteLength / RECORD_BYTES);
    this.words = new Int32Array(buffer, 0, this.slots * RECORD_WORDS);
    this.bytes = Buffer.from(buffer, 0, this.slots * RECORD_BYTES);
  }

  /** A table for this many connections (the memory is only touched as records are used). */
  static create(slots: number): ConnTable {
    return new ConnTable(new SharedArrayBuffer(slots * RECORD_BYTES));
  }

  /** Takes a record for connection id of thread; returns it, or -1 when the table is full. */
  claim(id: number, thread: number, peer: string, listenAddr: string): number {
    const w = this.words;
    for (let n = 0; n < this.slots; n++) {
      const slot = (this.hint + n) % this.slots;
      const at = slot * RECORD_WORDS;
      if (w[at + ID] !== 0 || Atomics.compareExchange(w, at + ID, 0, -1) !== 0) continue;
      this.hint = slot + 1;
      const base = slot * RECORD_BYTES + HEADER_BYTES;
      w[at + THREAD] = thread;
      w[at + STATE] = 0;
      w[at + LAST_COMMAND] = 0;
      w[at + PEER_LEN] = this.bytes.write(peer, base, TEXT_BYTES, 'latin1');
      w[at + LISTEN_LEN] = this.bytes.write(listenAddr, base + TEXT_BYTES, TEXT_BYTES, 'latin1');
      Atomics.store(w, at + ID, id); // published last: readers skip the record until then
      return slot;
    }
    return -1;
  }

  /** The connection's state and last command, after a batch (plain stores: only its thread writes). */
  update(slot: number, stateName: string, lastCommandTime: number): void {
    const at = slot * RECORD_WORDS;
    const code = STATE_NAMES.indexOf(stateName);
    this.words[at + STATE] = code < 0 ? 0 : code;
    this.words[at + LAST_COMMAND] = lastCommandTime;
  }

  release(slot: number): void {
    Atomics.store(this.words, slot * RECORD_WORDS + ID, 0);
  }

  /** The records of every thread but this one. */
  othersOf(thread: number): ConnRecord[] {
    const w = this.words;
    const out: ConnRecord[] = [];
    for (let slot = 0; slot < this.slots; slot++) {
      const at = slot * RECORD_WORDS;
      const id = Atomics.load(w, at + ID);
      if (id <= 0 || w[at + THREAD] === thread) continue;
      const base = slot * RECORD_BYTES + HEADER_BYTES;
      out.push({
        id,
        peer: this.bytes.toString('latin1', base, base + w[at + PEER_LEN]!),
        listenAddr: this.bytes.toString('latin1', base + TEXT_BYTES, base + TEXT_BYTES + w[at + LISTEN_LEN]!),
        stateName: STATE_NAMES[w[at + STATE]!] ?? 'conn_new_cmd',
        lastCommandTime: w[at + LAST_COMMAND]!,
      });
    }
    return out;
  }
}
