import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TransferError } from '../../src/errors.js';
import { type BlockSource, type SenderEvent, FileSender } from '../../src/protocol/file-sender.js';
import { ScriptedReceiver } from '../helpers/scripted-receiver.js';
import { bufferBlockSource, openVirtualStream, testData } from '../helpers/virtual-link.js';

const FAST = { startTimeoutMs: 1500, responseTimeoutMs: 300, headerAckTimeoutMs: 300, finalAckTimeoutMs: 300, eotGraceMs: 100 };

async function send(source: BlockSource, receiver = new ScriptedReceiver()) {
  const link = await openVirtualStream(receiver);
  const events: SenderEvent[] = [];
  try {
    const result = await new FileSender(link.stream, { ...FAST, onEvent: (e) => events.push(e) }).send(source).catch((e: unknown) => e);
    return { result, events, receiver };
  } finally {
    await link.close();
  }
}

test('progress is reported once per block, in order, ending at the file size', async () => {
  const data = testData(5 * 1024 + 7);
  const { result, events, receiver } = await send(bufferBlockSource(data));
  assert.ok(!(result instanceof Error));
  assert.ok(receiver.file?.data.equals(data));
  const progress = events.filter((e) => e.type === 'progress');
  assert.deepEqual(
    progress.map((e) => e.type === 'progress' && [e.block, e.bytesAcknowledged]),
    [[1, 1024], [2, 2048], [3, 3072], [4, 4096], [5, 5120], [6, 5127]],
  );
});

test('the next block is read before the current one is even sent, so an ACK is answered at once', async () => {
  const data = testData(3 * 1024);
  const receiver = new ScriptedReceiver();
  const receivedAtRead: number[] = [];
  const source: BlockSource = {
    ...bufferBlockSource(data),
    read: async (offset, length) => {
      receivedAtRead.push(receiver.events.filter((e) => e.startsWith('block')).length);
      return data.subarray(offset, offset + length);
    },
  };
  const { result } = await send(source, receiver);
  assert.ok(!(result instanceof Error));
  // Block k+1 is read while block k is being sent: the receiver holds k-1 blocks at that moment.
  assert.deepEqual(receivedAtRead, [0, 0, 1]);
});

test('a file that shrinks while it is sent fails with FILE_SHRANK, and the receiver is told', async () => {
  const data = testData(4096);
  const source: BlockSource = { ...bufferBlockSource(data), read: async (offset, length) => data.subarray(offset, Math.min(offset + length, 2048)) };
  const { result, receiver } = await send(source);
  assert.ok(result instanceof TransferError);
  assert.equal(result.code, 'FILE_SHRANK');
  assert.match(result.message, /2048 of 4096 bytes/);
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(receiver.events.includes('host-cancel'), 'CAN CAN was sent');
});

test('a read that fails for the block after a failing one leaves no unhandled rejection', async () => {
  const data = testData(4096);
  const source: BlockSource = {
    ...bufferBlockSource(data),
    read: async (offset, length) => {
      if (offset >= 2048) throw new Error('disk gone');
      return data.subarray(offset, offset + length);
    },
  };
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    // The receiver cancels instead of ACKing block 2, so the read-ahead of block 3 fails while nobody awaits it.
    const { result } = await send(source, new ScriptedReceiver({ cancelAfter: 2, cancelText: 'stop' }));
    assert.ok(result instanceof TransferError);
    assert.equal(result.code, 'RECEIVER_CANCELLED');
    await new Promise((r) => setTimeout(r, 20));
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  assert.deepEqual(unhandled, []);
});
