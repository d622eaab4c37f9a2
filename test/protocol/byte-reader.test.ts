/**
 * The byte reader's timeout on a loaded machine: an answer that arrived before the deadline,
 * while this process was stalled, is read, not taken for silence (and then for the next
 * block's answer); a line that stays silent still times out.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { ByteReader, TIMED_OUT } from '../../src/protocol/byte-reader.js';
import { ACK } from '../../src/protocol/control-bytes.js';
import { stall } from '../helpers/stall.js';

test('an answer that arrived before the deadline is read although the process stalled past it', async () => {
  const stream = new PassThrough();
  const reader = new ByteReader(stream);
  // The answer comes as I/O (a message from another thread, as from the serial port or the
  // paced line's timer thread): read only when the event loop next polls.
  const { port1, port2 } = new MessageChannel();
  port2.on('message', (byte: number) => stream.write(Buffer.of(byte)));
  try {
    // The wait begins, the ACK arrives at once, then nothing runs until past the deadline.
    // Begun from a setImmediate, the expired timer is due before the loop next polls.
    const answer = await new Promise<number>((resolve) =>
      setImmediate(() => {
        resolve(reader.next(100));
        port1.postMessage(ACK);
        stall(150);
      }),
    );
    assert.equal(answer, ACK);
  } finally {
    port1.close();
    reader.detach();
  }
});

test('a line that stays silent still times out', async () => {
  const reader = new ByteReader(new PassThrough());
  const started = performance.now();
  assert.equal(await reader.next(50), TIMED_OUT);
  assert.ok(performance.now() - started < 1_000, `ended ${Math.round(performance.now() - started)} ms after it began`);
  reader.detach();
});
