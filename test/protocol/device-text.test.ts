/** What a receiver prints between protocol bytes, as it reaches the terminal and messages. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeviceTextCollector } from '../../src/protocol/device-text.js';

function linesOf(bytes: Buffer): string[] {
  const lines: string[] = [];
  const collector = new DeviceTextCollector((line) => lines.push(line));
  for (const byte of bytes) collector.add(byte);
  collector.flush();
  return lines;
}

test('text lines pass whole, without their CR', () => {
  assert.deepEqual(linesOf(Buffer.from('## Total Size      = 0x00000400 = 1024 Bytes\r\n=> ')), ['## Total Size      = 0x00000400 = 1024 Bytes', '=> ']);
});

test('escape sequences and C1 controls never reach the terminal', () => {
  // ESC [ 2 J clears a screen; U+009B is a one-character CSI for terminals that take C1 codes.
  assert.deepEqual(linesOf(Buffer.from('boot\x1b[2J ok \u009b31m!\r\n')), ['boot[2J ok 31m!']);
});

test('a line that is mostly not text (Telnet negotiation, a wrong baud rate) is summed up, not shown as replacement characters', () => {
  const telnet = Buffer.from([0xff, 0xfb, 0x03, 0xff, 0xfd, 0x03, 0xff, 0xfb, 0x01, 0xff, 0xfe, 0x01, 0x2c, 0x0a]);
  assert.deepEqual(linesOf(telnet), ['(13 bytes that are not text)']);
  // A stray byte in a line of text leaves the text.
  assert.deepEqual(linesOf(Buffer.from([...Buffer.from('battery 4'), 0xff, ...Buffer.from('79 mV\n')])), ['battery 479 mV']);
});
