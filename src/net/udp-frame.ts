// memcached's UDP frame: every datagram starts with 8 bytes, big-endian
//   request id (16) · sequence number (16) · datagrams in this message (16) · reserved (16)
// Requests must fit one datagram; replies are cut into datagrams of at most 1400 bytes,
// header included, numbered 0..n-1 with total n and the request id echoed.

export const UDP_HEADER_BYTES = 8;
export const UDP_MAX_DATAGRAM_BYTES = 1400;
export const UDP_MAX_PAYLOAD_BYTES = UDP_MAX_DATAGRAM_BYTES - UDP_HEADER_BYTES; // 1392

/**
 * The request id of a datagram memcached would serve, or -1 for one it drops silently:
 * 8 bytes or fewer, or part of a multi-datagram request (total != 1). The sequence number and
 * the reserved field are not checked (memcached ignores them).
 */
export function udpRequestId(datagram: Buffer): number {
  if (datagram.length <= UDP_HEADER_BYTES) return -1;
  if (datagram.readUInt16BE(4) !== 1) return -1;
  return datagram.readUInt16BE(0);
}

/** Datagrams needed for a reply message of len bytes. */
export function udpDatagramCount(len: number): number {
  return len === 0 ? 0 : Math.ceil(len / UDP_MAX_PAYLOAD_BYTES);
}

/**
 * Cuts src[start, end) into framed datagrams and hands each to send (a fresh Buffer each:
 * dgram keeps it until sent). Returns the bytes sent, headers included.
 */
export function frameUdpReply(
  requestId: number,
  src: Buffer,
  start: number,
  end: number,
  send: (datagram: Buffer) => void,
): number {
  const total = udpDatagramCount(end - start);
  let bytes = 0;
  let pos = start;
  for (let seq = 0; seq < total; seq++) {
    const n = end - pos < UDP_MAX_PAYLOAD_BYTES ? end - pos : UDP_MAX_PAYLOAD_BYTES;
    const d = Buffer.allocUnsafe(UDP_HEADER_BYTES + n);
    d.writeUInt16BE(requestId, 0);
    d.writeUInt16BE(seq, 2);
    d.writeUInt16BE(total, 4);
    d.writeUInt16BE(0, 6);
    src.copy(d, UDP_HEADER_BYTES, pos, pos + n);
    pos += n;
    bytes += d.length;
    send(d);
  }
  return bytes;
}
