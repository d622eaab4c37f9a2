/** The byte trace formatter, with byte vectors: names, blocks, text, and chunks split anywhere. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TraceFormatter, formatTraceLine } from '../../../src/cli/render/trace.js';
import { encodeBlock, encodeEndOfBatchBlock, encodeHeaderBlock } from '../../../src/protocol/blocks.js';
import { testData } from '../../helpers/virtual-link.js';

const PROMPT = "Waiting for the binary file to be sent ... (press 'a' to abort)\r\n";

test('control bytes are named: ACK, NAK, CAN, EOT, and a lone C', () => {
  const trace = new TraceFormatter();
  assert.equal(trace.describe('rx', Buffer.of(0x06, 0x43)), 'ACK C');
  assert.equal(trace.describe('rx', Buffer.of(0x15)), 'NAK');
  assert.equal(trace.describe('rx', Buffer.of(0x18, 0x18)), 'CAN CAN');
  assert.equal(trace.describe('tx', Buffer.of(0x04)), 'EOT');
  assert.equal(trace.describe('rx', Buffer.from('CC')), 'C C');
});

test('text is shown as quoted text, and a C on its own line after it as a request', () => {
  const trace = new TraceFormatter();
  assert.equal(trace.describe('rx', Buffer.from(PROMPT)), JSON.stringify(PROMPT));
  assert.equal(trace.describe('rx', Buffer.from(`${PROMPT}C`)), `${JSON.stringify(PROMPT)} C`);
  assert.equal(trace.describe('rx', Buffer.from('Configuration')), '"Configuration"', 'a C inside a word stays text');
  assert.equal(trace.describe('tx', Buffer.from('loady 0x81000000\r')), '"loady 0x81000000\\r"');
});

test('bytes that are neither text nor control bytes are hex; CAN CAN in the middle of text splits it', () => {
  const trace = new TraceFormatter();
  assert.equal(trace.describe('rx', Buffer.of(0x80, 0xff, 0x00)), '80 FF 00');
  assert.equal(
    trace.describe('rx', Buffer.concat([Buffer.of(0x18, 0x18), Buffer.from('Validation failed: 3\r\n')])),
    'CAN CAN "Validation failed: 3\\r\\n"',
  );
});

test('the end-of-batch block, as literal bytes: SOH 00 FF, 128 NULs, CRC 0000', () => {
  const frame = Buffer.concat([Buffer.of(0x01, 0x00, 0xff), Buffer.alloc(128), Buffer.of(0x00, 0x00)]);
  assert.ok(frame.equals(encodeEndOfBatchBlock()), 'the vector is what the sender sends');
  assert.equal(new TraceFormatter().describe('tx', frame), 'SOH 00 FF <end of batch> CRC 0000');
});

test('a data block is summarised with its sequence, size and CRC; a damaged CRC is marked', () => {
  const frame = encodeBlock(5, testData(1024), 1024);
  const crc = frame.readUInt16BE(1027).toString(16).toUpperCase().padStart(4, '0');
  assert.equal(new TraceFormatter().describe('tx', frame), `STX 05 FA <1024 bytes> CRC ${crc}`);
  const damaged = Buffer.from(frame);
  damaged[1027]! ^= 0xff;
  assert.match(new TraceFormatter().describe('tx', damaged), /^STX 05 FA <1024 bytes> CRC [0-9A-F]{4} \(wrong\)$/);
});

test('the header block shows the file name and size', () => {
  const frame = encodeHeaderBlock({ name: 'firmware.bin', size: 12345, mtimeSeconds: 1_700_000_000, mode: 0o100644 });
  assert.match(new TraceFormatter().describe('tx', frame), /^SOH 00 FF <header "firmware\.bin" 12345 bytes> CRC [0-9A-F]{4}$/);
});

test('a block split across chunks at any boundary is described once, whole, with the chunk that completes it', () => {
  const frame = encodeBlock(1, testData(1024, 7), 1024);
  const whole = new TraceFormatter().describe('tx', Buffer.concat([frame, Buffer.of(0x18)]));
  assert.match(whole, /^STX 01 FE <1024 bytes> CRC [0-9A-F]{4} CAN$/);
  for (const at of [1, 2, 3, 4, 1027, 1028, 1029]) {
    const trace = new TraceFormatter();
    const first = trace.describe('tx', frame.subarray(0, at));
    const second = trace.describe('tx', Buffer.concat([frame.subarray(at), Buffer.of(0x18)]));
    assert.equal([first, second].filter(Boolean).join(' '), whole, `split at ${at}`);
    assert.equal(first, at === 1029 ? whole.replace(/ CAN$/, '') : '', `split at ${at}: nothing until the block is whole`);
  }
});

test('an incomplete block is reported at the end with how much of it came', () => {
  const trace = new TraceFormatter();
  const frame = encodeBlock(2, testData(128), 128);
  assert.equal(trace.describe('tx', frame.subarray(0, 60)), '');
  assert.equal(trace.flush('tx'), 'SOH 02 FD <57 of 128 bytes, incomplete>');
  assert.equal(trace.flush('tx'), '');
  assert.equal(trace.describe('tx', Buffer.of(0x41, 0x02)), '"A"');
  assert.equal(trace.flush('tx'), 'STX');
});

test('an SOH that is not followed by a sequence pair is just a byte', () => {
  const trace = new TraceFormatter();
  assert.equal(trace.describe('rx', Buffer.of(0x01, 0x02, 0x03, 0x41)), 'SOH STX 03 "A"');
});

test('after the receiver asks with NAK, blocks carry the 8-bit checksum', () => {
  const trace = new TraceFormatter();
  assert.equal(trace.describe('rx', Buffer.of(0x15)), 'NAK');
  const frame = encodeBlock(1, testData(128, 3), 128, 'sum8');
  assert.equal(frame.length, 132);
  const sum = frame[131]!.toString(16).toUpperCase().padStart(2, '0');
  assert.equal(trace.describe('tx', Buffer.concat([frame, Buffer.of(0x04)])), `SOH 01 FE <128 bytes> SUM ${sum} EOT`);
});

test("from the device's side (receiver: 'tx'), its NAK sets the 8-bit checksum and a host's NAK does not", () => {
  const frame = encodeBlock(1, testData(128, 3), 128, 'sum8');
  const sum = frame[131]!.toString(16).toUpperCase().padStart(2, '0');
  const device = new TraceFormatter({ receiver: 'tx' });
  assert.equal(device.describe('tx', Buffer.of(0x15)), 'NAK');
  assert.equal(device.describe('rx', frame), `SOH 01 FE <128 bytes> SUM ${sum}`);
  const crcFrame = encodeBlock(1, testData(128, 3), 128);
  const crc = crcFrame.readUInt16BE(131).toString(16).toUpperCase().padStart(4, '0');
  const other = new TraceFormatter({ receiver: 'tx' });
  assert.equal(other.describe('rx', Buffer.of(0x15)), 'NAK');
  assert.equal(other.describe('rx', crcFrame), `SOH 01 FE <128 bytes> CRC ${crc}`);
});

test('sequence 0 after 255 is data (the count wrapped), not a header', () => {
  const trace = new TraceFormatter();
  trace.describe('tx', encodeBlock(255, testData(1024), 1024));
  assert.match(trace.describe('tx', encodeBlock(0, Buffer.alloc(1024), 1024)), /^STX 00 FF <1024 bytes> CRC 0000$/);
  assert.match(trace.describe('tx', encodeBlock(0, Buffer.alloc(1024), 1024)), /<1024 bytes>/, 'and so is its retransmission');
});

test('trace lines carry seconds, the direction and, with several devices, the port', () => {
  assert.equal(formatTraceLine(1.5, 'rx', 'ACK'), '   1.500 rx ACK');
  assert.equal(formatTraceLine(12.0004, 'tx', 'EOT', '/dev/ttyACM1'), '  12.000 /dev/ttyACM1 tx EOT');
});
