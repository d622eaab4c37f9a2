/**
 * Pure YMODEM block codecs: framing, the header (block 0), CRC-16/XMODEM and the 8-bit
 * checksum. No timing, no I/O — the sender and the virtual receivers share these.
 */
import crc16xmodem from 'crc/calculators/crc16xmodem';
import { PAD, SOH, STX } from './control-bytes.js';

export type BlockSize = 128 | 1024;
export type Checksum = 'crc16' | 'sum8';

/** Bytes around a block's payload: start byte, sequence, its complement. */
export const BLOCK_HEADER_BYTES = 3;

export function crc16(data: Uint8Array): number {
  return crc16xmodem(data);
}

export function sum8(data: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i]!;
  return sum & 0xff;
}

export function trailerBytes(checksum: Checksum): number {
  return checksum === 'crc16' ? 2 : 1;
}

/** The payload size a block's start byte announces: STX 1024, SOH 128; undefined for any other byte. */
export function blockSizeOf(startByte: number | undefined): BlockSize | undefined {
  return startByte === STX ? 1024 : startByte === SOH ? 128 : undefined;
}

/** Total framed length of a block of `size` payload bytes. */
export function framedLength(size: BlockSize, checksum: Checksum): number {
  return BLOCK_HEADER_BYTES + size + trailerBytes(checksum);
}

/**
 * Frames one block. `payload` shorter than `size` is padded with `padByte`
 * (0x1A for file data, NUL for block 0, as the spec asks).
 */
export function encodeBlock(
  sequence: number,
  payload: Uint8Array,
  size: BlockSize,
  checksum: Checksum = 'crc16',
  padByte: number = PAD,
): Buffer {
  if (payload.length > size) throw new RangeError(`payload of ${payload.length} bytes exceeds block size ${size}`);
  const frame = Buffer.allocUnsafe(framedLength(size, checksum));
  frame[0] = size === 1024 ? STX : SOH;
  frame[1] = sequence & 0xff;
  frame[2] = ~sequence & 0xff;
  const data = frame.subarray(BLOCK_HEADER_BYTES, BLOCK_HEADER_BYTES + size);
  data.set(payload);
  data.fill(padByte, payload.length);
  const end = BLOCK_HEADER_BYTES + size;
  if (checksum === 'crc16') frame.writeUInt16BE(crc16(data), end);
  else frame[end] = sum8(data);
  return frame;
}

export interface FileInfo {
  /** Sent as the base name; YMODEM paths use '/' and carry no drive letters. */
  name: string;
  size: number;
  /** Seconds since the epoch; sent in octal. */
  mtimeSeconds?: number;
  /** Unix mode bits; sent in octal. */
  mode?: number;
}

/**
 * The header payload: `name NUL size [mtime [mode]]` with size in decimal and the optional
 * fields in octal, space-separated, as in the YMODEM spec.
 */
export function encodeHeaderPayload(file: FileInfo): Buffer {
  const fields = [String(file.size)];
  if (file.mtimeSeconds !== undefined) {
    fields.push(Math.floor(file.mtimeSeconds).toString(8));
    if (file.mode !== undefined) fields.push(file.mode.toString(8));
  }
  return Buffer.concat([Buffer.from(file.name, 'utf8'), Buffer.of(0), Buffer.from(fields.join(' '), 'latin1')]);
}

/** Block 0 for a file: 128 bytes unless the name and fields need 1K. */
export function encodeHeaderBlock(file: FileInfo, checksum: Checksum = 'crc16'): Buffer {
  const payload = encodeHeaderPayload(file);
  if (payload.length > 1024) throw new RangeError(`file name too long for a YMODEM header (${payload.length} bytes)`);
  return encodeBlock(0, payload, payload.length <= 128 ? 128 : 1024, checksum, 0);
}

/** The empty block 0 that ends a batch. */
export function encodeEndOfBatchBlock(checksum: Checksum = 'crc16'): Buffer {
  return encodeBlock(0, new Uint8Array(0), 128, checksum, 0);
}

export interface DecodedBlock {
  sequence: number;
  payload: Buffer;
}

/**
 * Checks a complete framed block (as a receiver sees it): start byte, sequence complement,
 * checksum. Returns undefined when the frame is damaged.
 */
export function decodeBlock(frame: Uint8Array, checksum: Checksum): DecodedBlock | undefined {
  const size = blockSizeOf(frame[0]);
  if (size === undefined || frame.length !== framedLength(size, checksum)) return undefined;
  if ((frame[1]! ^ frame[2]!) !== 0xff) return undefined;
  const payload = Buffer.from(frame.buffer, frame.byteOffset + BLOCK_HEADER_BYTES, size);
  const end = BLOCK_HEADER_BYTES + size;
  const expected = checksum === 'crc16' ? (frame[end]! << 8) | frame[end + 1]! : frame[end]!;
  const actual = checksum === 'crc16' ? crc16(payload) : sum8(payload);
  return expected === actual ? { sequence: frame[1]!, payload } : undefined;
}

/** Parses a header payload; `undefined` name means the end-of-batch block. */
export function decodeHeaderPayload(payload: Uint8Array): FileInfo | undefined {
  const data = Buffer.from(payload.buffer, payload.byteOffset, payload.length);
  if (data[0] === 0) return undefined;
  const nameEnd = data.indexOf(0);
  const name = data.toString('utf8', 0, nameEnd < 0 ? data.length : nameEnd);
  const restEnd = data.indexOf(0, nameEnd + 1);
  const fields = data
    .toString('latin1', nameEnd + 1, restEnd < 0 ? data.length : restEnd)
    .trim()
    .split(/\s+/);
  const info: FileInfo = { name, size: Number.parseInt(fields[0] ?? '', 10) };
  if (fields[1]) info.mtimeSeconds = Number.parseInt(fields[1], 8);
  if (fields[2]) info.mode = Number.parseInt(fields[2], 8);
  return info;
}
