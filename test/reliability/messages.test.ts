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
