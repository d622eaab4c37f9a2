import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FileSender, type SenderOptions } from '../../src/protocol/file-sender.js';
import { ScriptedReceiver } from '../helpers/scripted-receiver.js';
import { bufferBlockSource, openVirtualStream, testData } from '../helpers/virtual-link.js';

const FAST: SenderOptions = { startTimeoutMs: 1500, responseTimeoutMs: 1000, headerAckTimeoutMs: 1000, finalAckTimeoutMs: 1000, eotGraceMs: 500 };

/** Time from the header being sent to the final ACK, with the given settle pause. */
async function sendTime(requestSettleMs: number | undefined): Promise<number> {
  const receiver = new ScriptedReceiver();
  const link = await openVirtualStream(receiver);
  let headerAt = 0;
  const sender = new FileSender(link.stream, {
    ...FAST,
    ...(requestSettleMs === undefined ? {} : { requestSettleMs }),
    onEvent: (e) => {
      if (e.type === 'phase' && e.phase === 'header') headerAt = performance.now();
    },
  });
  try {
    await sender.send(bufferBlockSource(testData(2000)));
    assert.equal(receiver.finished, true);
    return performance.now() - headerAt;
  } finally {
    await link.close();
  }
}

test('the pause after an expected C is taken twice (after the header and after EOT) when asked for', async () => {
  const settled = await sendTime(150);
  assert.ok(settled >= 300, `took ${settled.toFixed(1)} ms`);
});

test('no pause after the C by default: the next block follows at once', async () => {
  const settled = await sendTime(150);
  const immediate = await sendTime(undefined);
  assert.ok(immediate < settled - 150, `default ${immediate.toFixed(1)} ms, with 2 x 150 ms pauses ${settled.toFixed(1)} ms`);
});
