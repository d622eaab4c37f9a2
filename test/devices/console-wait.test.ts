/**
 * Console waits (a U-Boot prompt, a Particle device's "Waiting for the binary file") on a
 * loaded machine: text that arrived in time is found even when this process was stalled past
 * the deadline, and a console that never stops printing still cannot stretch the wait.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { waitForText, type ConsoleSession } from '../../src/devices/console.js';
import { ByteReader } from '../../src/protocol/byte-reader.js';
import { stall } from '../helpers/stall.js';

function consoleOn(stream: PassThrough): ConsoleSession {
  return { reader: new ByteReader(stream), write: async () => undefined, onText: () => undefined };
}

test('a prompt printed before the deadline is found although the process stalled past it', async () => {
  const stream = new PassThrough();
  // The device prints its prompt at 60 ms; the wait ends at 100 ms; nothing runs from 50 to 200 ms.
  setTimeout(() => stream.write('=> '), 60);
  setTimeout(() => stall(150), 50);
  const result = await waitForText(consoleOn(stream), /=> $/, 100);
  assert.equal(result.text, '=> ');
  assert.ok(result.match, 'the prompt came in time: no timeout');
});

test('a console that never stops printing cannot stretch the wait past its deadline', async () => {
  const stream = new PassThrough();
  const printing = setInterval(() => stream.write('booting...\n'), 1);
  try {
    const started = performance.now();
    const result = await waitForText(consoleOn(stream), /=> $/, 100);
    assert.equal(result.match, undefined);
    assert.ok(performance.now() - started < 1_000, `ended ${Math.round(performance.now() - started)} ms after it began`);
  } finally {
    clearInterval(printing);
  }
});
