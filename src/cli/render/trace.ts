/**
 * Turns the bytes exchanged with a device into lines a person can read in a bug report:
 * control bytes by name (`ACK`, `NAK`, `CAN`, `C`), YMODEM blocks summarised
 * (`STX 05 FA <1024 bytes> CRC 1A2B`), text as quoted text, anything else as hex.
 * Pure and stateful per direction, because a block may arrive in several chunks.
 */
import {
  BLOCK_HEADER_BYTES,
  blockSizeOf,
  type Checksum,
  crc16,
  decodeHeaderPayload,
  framedLength,
  sum8,
  trailerBytes,
} from '../../protocol/blocks.js';
import { CRC_REQUEST, NAK, SOH, STX, controlByteName } from '../../protocol/control-bytes.js';
import type { TraceDirection } from './trace-line.js';

export { type TraceDirection, formatTraceLine } from './trace-line.js';
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;

interface DirectionState {
  /** Bytes of a block (or a possible block start) not yet complete. */
  pending: Buffer;
  /** Sequence number of the last complete block, and whether it carried file data. */
  lastSequence?: number;
  lastWasData: boolean;
}

export class TraceFormatter {
  private readonly states: Record<TraceDirection, DirectionState> = {
    tx: { pending: Buffer.alloc(0), lastWasData: false },
    rx: { pending: Buffer.alloc(0), lastWasData: false },
  };
  /** CRC-16 unless the receiver asked for the 8-bit checksum (NAK) before the first block. */
  private checksum: Checksum = 'crc16';
  private blockSeen = false;
  /** The direction that carries the YMODEM receiver's bytes (its requests tell the block trailer). */
  private readonly receiverDirection: TraceDirection;

  /**
   * `receiver`: which direction the receiver speaks in. `rx` (the default) for a sender's
   * trace; `tx` for a trace from the device's side, as `serial-flash emulate` writes it.
   */
  constructor(options: { receiver?: TraceDirection } = {}) {
    this.receiverDirection = options.receiver ?? 'rx';
  }

  /**
   * Describes one chunk. Returns '' when the chunk only continued a block that is not complete
   * yet: the block is described, whole, with the chunk that completes it.
   */
  describe(direction: TraceDirection, data: Uint8Array): string {
    const state = this.states[direction];
    const bytes = state.pending.length ? Buffer.concat([state.pending, data]) : Buffer.from(data);
    state.pending = Buffer.alloc(0);
    const tokens: string[] = [];
    let i = 0;
    while (i < bytes.length) {
      const frame = this.frameAt(bytes, i);
      if (frame === 'incomplete') {
        state.pending = bytes.subarray(i);
        break;
      }
      if (frame) {
        tokens.push(this.describeFrame(state, bytes.subarray(i, i + frame)));
        i += frame;
        continue;
      }
      const text = textRunLength(bytes, i);
      if (text > 0) {
        tokens.push(...describeText(bytes.subarray(i, i + text)));
        i += text;
        continue;
      }
      tokens.push(byteName(bytes[i]!));
      this.learnChecksum(direction, bytes[i]!);
      i++;
    }
    return tokens.join(' ');
  }

  /** What is left of an incomplete block, at the end of the trace. */
  flush(direction: TraceDirection): string {
    const state = this.states[direction];
    const rest = state.pending;
    state.pending = Buffer.alloc(0);
    if (rest.length === 0) return '';
    if (rest.length < BLOCK_HEADER_BYTES) return [...rest].map(byteName).join(' ');
    return `${byteName(rest[0]!)} ${hex(rest[1]!)} ${hex(rest[2]!)} <${rest.length - BLOCK_HEADER_BYTES} of ${blockSizeOf(rest[0])} bytes, incomplete>`;
  }

  /** Length of the block starting at `i`, 'incomplete' when more bytes are needed, or 0 for no block. */
  private frameAt(bytes: Buffer, i: number): number | 'incomplete' {
    const size = blockSizeOf(bytes[i]);
    if (size === undefined) return 0;
    if (bytes.length - i < BLOCK_HEADER_BYTES) return 'incomplete';
    if (bytes[i + 1]! + bytes[i + 2]! !== 0xff) return 0;
    const length = framedLength(size, this.checksum);
    return bytes.length - i < length ? 'incomplete' : length;
  }

  private describeFrame(state: DirectionState, frame: Buffer): string {
    this.blockSeen = true;
    const sequence = frame[1]!;
    const trailerLength = trailerBytes(this.checksum);
    const payload = frame.subarray(BLOCK_HEADER_BYTES, frame.length - trailerLength);
    const trailer = frame.subarray(frame.length - trailerLength);
    const check =
      this.checksum === 'crc16'
        ? `CRC ${hex(trailer.readUInt16BE(0), 4)}${trailer.readUInt16BE(0) === crc16(payload) ? '' : ' (wrong)'}`
        : `SUM ${hex(trailer[0]!)}${trailer[0] === sum8(payload) ? '' : ' (wrong)'}`;
    // Sequence 0 is YMODEM's block 0 (header or end of batch), unless the data count wrapped past 255.
    const wrappedData = sequence === 0 && (state.lastSequence === 0xff || (state.lastSequence === 0 && state.lastWasData));
    const header = sequence === 0 && !wrappedData ? describeHeader(payload) : undefined;
    state.lastSequence = sequence;
    state.lastWasData = header === undefined;
    return `${byteName(frame[0]!)} ${hex(sequence)} ${hex(frame[2]!)} <${header ?? `${payload.length} bytes`}> ${check}`;
  }

  /** The receiver's first request says which trailer the blocks carry. */
  private learnChecksum(direction: TraceDirection, byte: number): void {
    if (direction !== this.receiverDirection || this.blockSeen) return;
    if (byte === NAK) this.checksum = 'sum8';
  }
}

/** `"name" 12345 bytes` for a header block, `end of batch` for an empty one, undefined for data. */
function describeHeader(payload: Buffer): string | undefined {
  if (payload.every((byte) => byte === 0)) return 'end of batch';
  // A data block may start with anything: only a name, NUL and a decimal size make a header.
  if (payload.indexOf(0) <= 0) return undefined;
  const file = decodeHeaderPayload(payload);
  if (!file || !Number.isSafeInteger(file.size) || !/^[\x20-\x7e]+$/.test(file.name)) return undefined;
  return `header ${JSON.stringify(file.name)} ${file.size} bytes`;
}

function isTextByte(byte: number): boolean {
  return (byte >= 0x20 && byte <= 0x7e) || byte === TAB || byte === LF || byte === CR;
}

function textRunLength(bytes: Buffer, i: number): number {
  let end = i;
  while (end < bytes.length && isTextByte(bytes[end]!) && bytes[end] !== SOH && bytes[end] !== STX) end++;
  return end - i;
}

/**
 * A run of text, line by line; a line that is only `C`s is the receiver asking for CRC
 * blocks (one request each), as when it follows a prompt in the same chunk.
 */
function describeText(run: Buffer): string[] {
  const tokens: string[] = [];
  let text = '';
  for (let start = 0; start < run.length; ) {
    const lf = run.indexOf(LF, start);
    const end = lf === -1 ? run.length : lf + 1;
    const line = run.subarray(start, end);
    if (line.every((byte) => byte === CRC_REQUEST)) {
      if (text) tokens.push(JSON.stringify(text));
      text = '';
      tokens.push(...[...line].map(() => 'C'));
    } else {
      text += line.toString('latin1');
    }
    start = end;
  }
  if (text) tokens.push(JSON.stringify(text));
  return tokens;
}

function byteName(byte: number): string {
  return controlByteName(byte) ?? hex(byte);
}

function hex(value: number, digits = 2): string {
  return value.toString(16).toUpperCase().padStart(digits, '0');
}
