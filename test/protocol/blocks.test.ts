import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  crc16,
  decodeBlock,
  decodeHeaderPayload,
  encodeBlock,
  encodeEndOfBatchBlock,
  encodeHeaderBlock,
  encodeHeaderPayload,
  sum8,
} from '../../src/protocol/blocks.js';

test('CRC-16/XMODEM check value: "123456789" → 0x31C3', () => {
  assert.equal(crc16(Buffer.from('123456789')), 0x31c3);
  assert.equal(crc16(Buffer.alloc(0)), 0);
});

test('8-bit checksum wraps modulo 256', () => {
  assert.equal(sum8(Buffer.from([0xff, 0x02])), 0x01);
});

test('a 128-byte block: SOH, sequence, complement, payload padded with 0x1A, CRC big-endian', () => {
  const frame = encodeBlock(1, Buffer.from('hi'), 128);
  assert.equal(frame.length, 133);
  assert.deepEqual([...frame.subarray(0, 5)], [0x01, 0x01, 0xfe, 0x68, 0x69]);
  assert.ok(frame.subarray(5, 131).every((b) => b === 0x1a));
  const crc = crc16(frame.subarray(3, 131));
  assert.equal(frame.readUInt16BE(131), crc);
});

test('a 1024-byte block starts with STX and sequence numbers wrap at 256', () => {
  const frame = encodeBlock(256, Buffer.alloc(1024, 7), 1024);
  assert.equal(frame.length, 1029);
  assert.deepEqual([...frame.subarray(0, 3)], [0x02, 0x00, 0xff]);
});

test('checksum mode appends one sum byte', () => {
  const frame = encodeBlock(2, Buffer.from([1, 2, 3]), 128, 'sum8');
  assert.equal(frame.length, 132);
  assert.equal(frame[131], (1 + 2 + 3 + 125 * 0x1a) & 0xff);
});

test('a payload longer than the block is refused', () => {
  assert.throws(() => encodeBlock(1, Buffer.alloc(129), 128), RangeError);
});

test('header: name NUL size, then mtime and mode in octal, NUL-padded to 128 bytes', () => {
  const payload = encodeHeaderPayload({ name: 'app.bin', size: 4660, mtimeSeconds: 0o14, mode: 0o100644 });
  assert.equal(payload.toString('latin1'), 'app.bin\x004660 14 100644');
  const frame = encodeHeaderBlock({ name: 'app.bin', size: 4660 });
  assert.equal(frame[0], 0x01);
  assert.equal(frame[1], 0);
  assert.equal(frame[2], 0xff);
  assert.equal(frame.subarray(3, 3 + 12).toString('latin1'), 'app.bin\x004660');
  assert.ok(frame.subarray(15, 131).every((b) => b === 0));
});

test('a header whose name needs more than 128 bytes uses a 1K block', () => {
  const frame = encodeHeaderBlock({ name: 'x'.repeat(200), size: 1 });
  assert.equal(frame[0], 0x02);
  assert.equal(frame.length, 1029);
});

test('end-of-batch block is an all-zero block 0', () => {
  const frame = encodeEndOfBatchBlock();
  assert.equal(frame.length, 133);
  assert.ok(frame.subarray(3, 131).every((b) => b === 0));
  assert.equal(decodeHeaderPayload(decodeBlock(frame, 'crc16')!.payload), undefined);
});

test('decodeBlock round-trips and rejects damage', () => {
  const frame = encodeBlock(9, Buffer.from('payload'), 1024);
  const decoded = decodeBlock(frame, 'crc16');
  assert.equal(decoded?.sequence, 9);
  assert.equal(decoded?.payload.subarray(0, 7).toString(), 'payload');
  const damaged = Buffer.from(frame);
  damaged[500] ^= 1;
  assert.equal(decodeBlock(damaged, 'crc16'), undefined);
  const badComplement = Buffer.from(frame);
  badComplement[2] = 0;
  assert.equal(decodeBlock(badComplement, 'crc16'), undefined);
  assert.equal(decodeBlock(frame.subarray(0, 100), 'crc16'), undefined);
});

test('header payload parses back', () => {
  const info = decodeHeaderPayload(encodeHeaderPayload({ name: 'a b.bin', size: 99, mtimeSeconds: 8, mode: 0o644 }));
  assert.deepEqual(info, { name: 'a b.bin', size: 99, mtimeSeconds: 8, mode: 0o644 });
});
