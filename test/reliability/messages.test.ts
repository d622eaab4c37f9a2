/** Messages at the edges: what they say must be what is known. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TransferError } from '../../src/errors.js';
import { FileSender } from '../../src/protocol/file-sender.js';
import { ScriptedReceiver } from '../helpers/scripted-receiver.js';
import { bufferBlockSource, openVirtualStream, testData } from '../helpers/virtual-link.js';

const FAST = { startTimeoutMs: 1500, responseTimeoutMs: 300, headerAckTimeoutMs: 300, finalAckTimeoutMs: 300, eotGraceMs: 100 };

test('bug: block numbers in messages wrapped at 256 ("Block 44" for the 300th block); they count blocks', async () => {
  const receiver = new ScriptedReceiver({ dropAckBlocks: [299] /* its count skips block 256, whose sequence byte is 0 */ });
  const link = await openVirtualStream(receiver);
  try {
    const result = await new FileSender(link.stream, { ...FAST, blockSize: 128, retries: 0 })
      .send(bufferBlockSource(testData(128 * 310)))
      .catch((error: unknown) => error);
    assert.ok(result instanceof TransferError, String(result));
    assert.match(result.message, /^Block 300 was not accepted after 1 attempt/);
    assert.equal(result.context.block, 300);
  } finally {
    await link.close();
  }
});

test('bug: Ctrl-C after the last data block said the receiver was told to discard the file, though rb keeps what it acknowledged', async () => {
  const receiver = new ScriptedReceiver({ dropAckBlocks: [] });
  const link = await openVirtualStream(receiver);
  const controller = new AbortController();
  try {
    const result = await new FileSender(link.stream, {
      ...FAST,
      signal: controller.signal,
      onEvent: (event) => event.type === 'phase' && event.phase === 'eot' && controller.abort(),
    })
      .send(bufferBlockSource(testData(5000)))
      .catch((error: unknown) => error);
    assert.ok(result instanceof Error);
    assert.equal(
      result.message,
      'The transfer was cancelled after the receiver had acknowledged all 5000 bytes, before it confirmed the end; it may have kept the whole file, so check it before sending again.',
    );
  } finally {
    await link.close();
  }
});
