/**
 * What the YMODEM sender takes and reports: options, timing defaults (each with why), events
 * and the result. Kept apart from the state machine so callers can read the contract alone.
 */
import type { ByteReader } from './byte-reader.js';
import type { BlockSize, Checksum, FileInfo } from './blocks.js';
import type { ReceiverDialect } from './dialect.js';
import type { ProtocolName } from './protocols.js';

export type { ReceiverDialect } from './dialect.js';

/** Reads the file being sent; short reads only at the end. */
export interface BlockSource extends FileInfo {
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * Throws when the data's origin no longer holds what is being sent (a file written again).
   * Called before each block and after the last block's ACK, while the receiver can still be
   * told to discard the file. Must be quick: it runs between a block's ACK and the next write.
   */
  confirmUnchanged?(): void;
}

export type SenderPhase = 'start' | 'header' | 'data' | 'eot' | 'end';

export type SenderEvent =
  | { type: 'receiver-ready'; checksum: Checksum; silent: boolean }
  | { type: 'progress'; block: number; bytesAcknowledged: number; totalBytes: number }
  | { type: 'retry'; phase: SenderPhase; block: number; attempt: number; reason: RetryReason }
  | { type: 'device-text'; text: string }
  | { type: 'phase'; phase: SenderPhase };

export type RetryReason = 'nak' | 'timeout' | 'crc-request';

export interface SenderTiming {
  /** How long to wait for the receiver's first `C`/NAK. lrzsz `rb` asks every 10 s at most. */
  startTimeoutMs: number;
  /** How long to wait for the answer to a block. lrzsz uses 10 s. */
  responseTimeoutMs: number;
  /** How long to wait for the header's ACK: receivers erase flash before answering. */
  headerAckTimeoutMs: number;
  /** How long to wait for the final ACK: Particle 0.6.1+ validates the image first. */
  finalAckTimeoutMs: number;
  /**
   * How long to wait for the `C` that asks for the next header after EOT, before sending the
   * end-of-batch block anyway. lrzsz `rb` ACKs EOT after 1 s and sends `C` about 1 s later;
   * receivers that send none say so in their dialect (`requestsAfterEot`).
   */
  eotGraceMs: number;
  /** Quiet time that turns a lone `C`/NAK into a request rather than a letter of text. */
  requestQuietMs: number;
  /**
   * Pause after the `C` that follows the header's ACK and the EOT, before sending. lrzsz `rb`
   * discards its input (tcflush) just after writing that `C`; over a pseudo-terminal our next
   * block can arrive first and be lost. On a real line it cannot arrive that fast, so 0 unless
   * the link is a pty (the ymodem profile decides).
   */
  requestSettleMs: number;
  /** How long to keep reading the text a receiver prints after it cancels. */
  abortTextMs: number;
  /** Added to every wait per byte written, for slow lines (0 when unknown). */
  msPerByte: number;
}

export interface SenderOptions extends Partial<SenderTiming> {
  /** YMODEM (the default), XMODEM or XMODEM-1K. */
  protocol?: ProtocolName;
  /** Data block size; the protocol's own by default (XMODEM 128, the others 1024). */
  blockSize?: BlockSize;
  /** Attempts per block after the first, before giving up. */
  retries?: number;
  /**
   * Attempts for the header after the first while the receiver has said nothing at all;
   * defaults to `retries`. Lower when probing a silent receiver; once it answers anything
   * (a NAK, a `C`), someone is listening and `retries` applies.
   */
  headerRetries?: number;
  /** How the receiver departs from the standard (its device profile says). */
  dialect?: ReceiverDialect;
  signal?: AbortSignal;
  onEvent?: (event: SenderEvent) => void;
  /** A reader already attached to the stream (bytes a console step read ahead stay in it). */
  reader?: ByteReader;
}

export const DEFAULT_RETRIES = 10; // lrzsz's per-block limit
export const DEFAULT_TIMING: SenderTiming = {
  startTimeoutMs: 60_000,
  responseTimeoutMs: 10_000,
  headerAckTimeoutMs: 10_000,
  finalAckTimeoutMs: 10_000,
  eotGraceMs: 10_000,
  requestQuietMs: 30,
  requestSettleMs: 0,
  abortTextMs: 300,
  msPerByte: 0,
};

export interface SendResult {
  bytes: number;
  blocks: number;
  retries: number;
  checksum: Checksum;
  /** True when the receiver ACKed the first EOT (Particle dialect). */
  firstEotAcked: boolean;
}
