import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  handlerAddress,
  isThumbCodeAddress,
  looksLikeVectorTable,
  readVectorTable,
} from '../../src/image/vector-table.js';

function words(...values: number[]): Buffer {
  const buf = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => buf.writeUInt32LE(v >>> 0, i * 4));
  return buf;
}

test('reads the stack pointer and reset handler little-endian', () => {
  const table = readVectorTable(Buffer.from([0x00, 0x50, 0x00, 0x20, 0xc5, 0x51, 0x00, 0x08]));
  assert.ok(table);
  assert.equal(table.initialStackPointer, 0x20005000);
  assert.equal(table.resetHandler, 0x080051c5);
  assert.deepEqual(table.entries, [0x20005000, 0x080051c5]);
});

test('reads at most the 16 system vectors', () => {
  const values = Array.from({ length: 20 }, (_, i) => 0x08001001 + i * 2);
  assert.equal(readVectorTable(words(...values))!.entries.length, 16);
  assert.equal(readVectorTable(words(...values).subarray(0, 13))!.entries.length, 3, 'partial words are ignored');
});

test('fewer than 8 bytes is no vector table', () => {
  assert.equal(readVectorTable(Buffer.alloc(7)), undefined);
  assert.equal(readVectorTable(Buffer.alloc(0)), undefined);
  assert.equal(looksLikeVectorTable(Buffer.alloc(7)), false);
});

test('looksLikeVectorTable wants an SRAM stack pointer and a Thumb code reset handler', () => {
  assert.equal(looksLikeVectorTable(words(0x20005000, 0x080051c5)), true);
  assert.equal(looksLikeVectorTable(words(0x20020000, 0x08020401)), true);
  assert.equal(looksLikeVectorTable(words(0x40000000, 0x08000001)), true, 'top of the SRAM region');
  assert.equal(looksLikeVectorTable(words(0x20005000, 0x080051c4)), false, 'even reset handler: not Thumb');
  assert.equal(looksLikeVectorTable(words(0x20005002, 0x080051c5)), false, 'unaligned stack pointer');
  assert.equal(looksLikeVectorTable(words(0x20000000, 0x080051c5)), false, 'empty stack at the RAM bottom');
  assert.equal(looksLikeVectorTable(words(0x40000004, 0x080051c5)), false, 'stack pointer past SRAM');
  assert.equal(looksLikeVectorTable(words(0x080a0000, 0x080a0fa0)), false, 'a Particle module header');
  assert.equal(looksLikeVectorTable(words(0x20005000, 0x20000101)), false, 'reset handler in RAM');
});

test('Thumb helpers', () => {
  assert.equal(isThumbCodeAddress(0x080051c5), true);
  assert.equal(isThumbCodeAddress(0x080051c4), false);
  assert.equal(isThumbCodeAddress(0), false);
  assert.equal(isThumbCodeAddress(0x20000001), false);
  assert.equal(handlerAddress(0x0800a1c5), 0x0800a1c4);
  assert.equal(handlerAddress(0x0800a1c4), 0x0800a1c4);
});
