/**
 * What a receiver dialect decides, and what it may use of the receiver core. The core
 * (ymodem-receiver.ts) frames bytes into blocks, runs the one timer, and ends the session;
 * a dialect answers: what to do at start, with a stray byte, a damaged or good block, EOT,
 * a timeout. One file per dialect, listed in index.ts.
 */
import type { Checksum, FileInfo } from '../../protocol/blocks.js';
import type { ReceiverEnd, ReceiverOptions } from '../receiver-contract.js';

export type Phase = 'header' | 'data' | 'done';

/** The receiver core as a dialect sees it. */
export interface ReceiverCore {
  readonly options: ReceiverOptions;
  readonly checksum: Checksum;
  readonly maxErrors: number;
  /** The files whose header (or first block) arrived this session. */
  readonly files: readonly FileInfo[];
  phase: Phase;
  /** The next sequence number wanted (0: a header). */
  expected: number;
  /** Consecutive errors. */
  errors: number;
  /** A first good packet arrived (Device OS counts errors only from then on). */
  sessionBegun: boolean;
  /** The first EOT of the file was NAKed (standard receivers want it twice). */
  eotSeen: boolean;
  /** Bytes of the current file stored so far. */
  readonly fileOffset: number;
  readonly file: FileInfo | undefined;
  readonly finished: boolean;
  send(bytes: number | Uint8Array): void;
  /** Ends the session, sending `bytes` first. */
  finish(end: ReceiverEnd, bytes: number[]): void;
  /** Runs storage work; bytes arriving meanwhile wait. */
  runAsync(work: () => Promise<void> | void): void;
  /** `C` in CRC mode, NAK in checksum mode. */
  requestByte(): number;
  startFile(file: FileInfo): void;
  /** Stores a block's payload (`keep` bytes of it) at the file offset; false when the session ended meanwhile or the write failed. */
  storeBlock(sequence: number, payload: Buffer, keep?: number): Promise<boolean>;
  /** The empty block 0 (or XMODEM's end): validate, then complete. */
  onEndOfBatch(): Promise<void>;
}

export interface DialectDefaults {
  /** Silence while a block is awaited. */
  byteTimeoutMs: number;
  /** Silence while waiting for a header, between requests. */
  requestIntervalMs: number;
  /** Silence inside a block; undefined: the byte timeout. */
  intraBlockTimeoutMs?: number;
  maxErrors: number;
  /** Set when the dialect asks for one checksum whatever the options say. */
  checksum?: Checksum;
}

export interface ReceiverDialectStrategy {
  /** Timing at scale 1; options given explicitly win. */
  defaults(scale: number): DialectDefaults;
  /** The session starts (the device listens). */
  start(rx: ReceiverCore): void;
  /** A byte where a block should start that is neither SOH, STX, EOT nor CAN. */
  onStrayByte(rx: ReceiverCore, byte: number): void;
  /** A CAN followed by something else. Returns true when the dialect dealt with that byte. */
  onLoneCan(rx: ReceiverCore): boolean;
  onSenderCancel(rx: ReceiverCore): void;
  onEot(rx: ReceiverCore): void;
  /** A complete frame (start byte to trailer). */
  onFrame(rx: ReceiverCore, frame: Buffer): Promise<void>;
  /** Silence for as long as `timerMs` said. */
  onTimeout(rx: ReceiverCore): void;
  /** How long to wait for the next block or request when no block is being received. */
  timerMs(rx: ReceiverCore, byteTimeoutMs: number, requestIntervalMs: number): number;
}
