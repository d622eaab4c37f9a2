/**
 * The best time any stop-and-wait YMODEM sender can reach against a standard (lrzsz-like)
 * receiver on a line of `baud` with a one-way latency `latencyMs`, CRC-16 blocks.
 *
 * With b = 10 bits / baud (start + 8 data + stop) per byte and L the one-way latency, every
 * exchange costs its bytes on the wire in both directions plus one round trip (2L):
 *
 *   data block of S bytes:  (S + 5)·b  +  1·b (ACK)             + 2L
 *   header (block 0, 128):  133·b      +  2·b (ACK, C)          + 2L
 *   end of file:            1·b (EOT) + 1·b (NAK) + 2L,  then  1·b (EOT) + 2·b (ACK, C) + 2L
 *   end of batch (128):     133·b      +  1·b (ACK)             + 2L
 *
 *   T = header + ⌈size / S⌉ · block(S) + end of file + end of batch
 *
 * The receiver's own processing time is taken as zero. Payload throughput is size / T;
 * for 1K blocks at 115200 baud and L = 1 ms a block costs 91.41 ms: 11 202 B/s, 97.2% of the
 * 11 520 B/s the line carries.
 */

/** Bytes around a block's payload: SOH/STX, sequence, complement, CRC-16. */
export const FRAME_OVERHEAD_BYTES = 5;
const BITS_PER_BYTE = 10;
const HEADER_BLOCK_BYTES = 128;

export interface LineSpec {
  baud: number;
  /** One-way latency, ms. */
  latencyMs: number;
}

export function byteMs(baud: number): number {
  return (BITS_PER_BYTE * 1000) / baud;
}

/** One data block of `blockSize` payload bytes, sent and acknowledged. */
export function blockMs(line: LineSpec, blockSize: number): number {
  const b = byteMs(line.baud);
  return (blockSize + FRAME_OVERHEAD_BYTES) * b + b + 2 * line.latencyMs;
}

/** A whole single-file session, header to the end-of-batch ACK. */
export function sessionMs(line: LineSpec, blockSize: number, fileBytes: number): number {
  const b = byteMs(line.baud);
  const rtt = 2 * line.latencyMs;
  const header = (HEADER_BLOCK_BYTES + FRAME_OVERHEAD_BYTES) * b + 2 * b + rtt;
  const endOfFile = 2 * b + rtt + 3 * b + rtt;
  const endOfBatch = (HEADER_BLOCK_BYTES + FRAME_OVERHEAD_BYTES) * b + b + rtt;
  return header + Math.ceil(fileBytes / blockSize) * blockMs(line, blockSize) + endOfFile + endOfBatch;
}
