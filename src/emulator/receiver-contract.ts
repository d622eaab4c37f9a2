/**
 * The contract between the YMODEM receiver core and the devices that host it: dialect names,
 * timing constants, what storage must provide, and how a session ends. Kept apart from the
 * state machine so devices read the contract without the machinery.
 */
import type { Checksum, FileInfo } from '../protocol/blocks.js';

import type { ReceiverDialectName } from './receiver-dialects/index.js';

/** Which receiver the device runs (receiver-dialects/). */
export type ReceiverDialect = ReceiverDialectName;

/** Device OS (0.4.9+) per-byte timeout: each expiry sends `C` and counts an error. */
export const PARTICLE_BYTE_TIMEOUT_MS = 5_000;
/** Device OS MAX_ERRORS: the session ends when the error count exceeds it (the 6th error). */
export const PARTICLE_MAX_ERRORS = 5;
/** lrzsz `rb` re-sends `C` (or NAK) every 10 s (its Rxtimeout of 100 tenths) until a header comes. */
export const STRICT_REQUEST_INTERVAL_MS = 10_000;
/** lrzsz waits 10 s for the next block before NAKing it. */
export const STRICT_BLOCK_TIMEOUT_MS = 10_000;
/** Inside a block the bytes follow each other at line rate; 1 s of silence means the rest is lost. */
export const STRICT_INTRA_BLOCK_TIMEOUT_MS = 1_000;
/** lrzsz RETRYMAX: 10 consecutive errors on one block end the session. */
export const STRICT_MAX_ERRORS = 10;

export interface ReceiverStore {
  /** A header arrived: prepare (erase) the destination. A string refuses the file (updates disabled, too big). */
  beginFile(file: FileInfo): Promise<string | undefined>;
  /** Stores a data block at `offset` in the current file. A string means the write failed. */
  writeBlock(offset: number, data: Buffer): Promise<string | undefined>;
  /** Strict dialect: the file's EOT was accepted. */
  endFile?(): Promise<void>;
  /** Particle 0.6.1+: checks the image before the last ACK; a string is the failure code. */
  validate?(): Promise<string | undefined>;
}

export type ReceiverEnd =
  | { kind: 'complete'; files: FileInfo[] }
  | { kind: 'refused'; file: FileInfo; reason: string }
  | { kind: 'write-failed'; reason: string }
  | { kind: 'validation-failed'; code: string }
  | { kind: 'sender-cancelled' }
  | { kind: 'user-abort' }
  | { kind: 'too-many-errors' }
  | { kind: 'out-of-sequence'; sequence: number }
  | { kind: 'device-cancelled'; reason: string };

export type ReceiverEvent =
  | { type: 'header'; file: FileInfo }
  | { type: 'block'; sequence: number; offset: number; size: number }
  | { type: 'rejected'; sequence?: number; why: 'damaged' | 'unexpected-sequence' | 'timeout' | 'noise' }
  | { type: 'duplicate'; sequence: number }
  | { type: 'eot' };

export interface ReceiverOptions {
  dialect: ReceiverDialect;
  send(bytes: Uint8Array): void;
  store: ReceiverStore;
  onEnd(end: ReceiverEnd): void;
  onEvent?(event: ReceiverEvent): void;
  /** Multiplies the default timeouts (0.01 in tests: 5 s becomes 50 ms). */
  timeScale?: number;
  /** Strict only: 8-bit checksum mode, asked for with NAK instead of `C`. */
  checksum?: Checksum;
  requestIntervalMs?: number;
  byteTimeoutMs?: number;
  intraBlockTimeoutMs?: number;
  maxErrors?: number;
  /**
   * Strict only: until the first header, requests repeat without counting as errors, as from
   * `rb` run in a loop on a line (each one gives up after 10; the next asks again).
   */
  asksUntilFirstHeader?: boolean;
  /** Particle 0.4.2–0.4.7 and the Core's 28800 receiver: nothing is sent before the first good packet. */
  silentUntilFirstPacket?: boolean;
  /** Particle, later versions: a sender's CAN CAN is answered with ACK and CAN CAN, not ACK alone. */
  echoCancel?: boolean;
  /** Fault injection: may damage a complete frame before it is decoded (bytes "in transit"). */
  transformFrame?(frame: Buffer): Buffer;
}
