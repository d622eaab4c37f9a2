import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CancelledError, InputError, TransferError } from '../../src/errors.js';
import { CAN } from '../../src/protocol/control-bytes.js';
import { type SenderEvent, type SenderOptions, FileSender } from '../../src/protocol/file-sender.js';
import { type ReceiverScript, ScriptedReceiver } from '../helpers/scripted-receiver.js';
import { bufferBlockSource, openVirtualStream, testData } from '../helpers/virtual-link.js';

/** Short timeouts so failure paths take milliseconds, not the real-world seconds. */
const FAST: SenderOptions = { startTimeoutMs: 1500, responseTimeoutMs: 300, headerAckTimeoutMs: 300, finalAckTimeoutMs: 300, eotGraceMs: 100 };

async function transfer(data: Buffer, script: ReceiverScript = {}, options: SenderOptions = {}) {
  const receiver = new ScriptedReceiver(script);
  const link = await openVirtualStream(receiver);
  const events: SenderEvent[] = [];
  const sender = new FileSender(link.stream, { ...FAST, ...options, onEvent: (e) => events.push(e) });
  try {
    const result = await sender.send(bufferBlockSource(data)).catch((error: unknown) => error as Error);
    await new Promise((r) => setTimeout(r, 20)); // let trailing CANs reach the receiver
    return { result, receiver, events };
  } finally {
    await link.close();
  }
}

function assertDelivered(outcome: Awaited<ReturnType<typeof transfer>>, data: Buffer) {
  assert.ok(!(outcome.result instanceof Error), `transfer failed: ${(outcome.result as Error).message}`);
  assert.equal(outcome.receiver.finished, true, 'the receiver saw the end of the batch');
  assert.equal(outcome.receiver.file?.size, data.length);
  assert.ok(outcome.receiver.file?.data.equals(data), 'received bytes equal the file');
}

for (const size of [1, 127, 128, 129, 1023, 1024, 1025, 5000]) {
  test(`a clean ${size}-byte transfer arrives intact (1K blocks)`, async () => {
    const data = testData(size, size);
    const outcome = await transfer(data);
    assertDelivered(outcome, data);
    const progress = outcome.events.filter((e) => e.type === 'progress');
    assert.equal(progress.at(-1)?.type === 'progress' && progress.at(-1)!.bytesAcknowledged, size);
  });
}

test('128-byte blocks with a size that is an exact multiple of the block size', async () => {
  const data = testData(128 * 5);
  const outcome = await transfer(data, {}, { blockSize: 128 });
  assertDelivered(outcome, data);
  assert.equal(outcome.receiver.events.filter((e) => e.startsWith('block')).length, 5);
});

test('a 1K transfer ends with a short SOH block rather than a padded STX block', async () => {
  const data = testData(1024 + 100);
  const outcome = await transfer(data);
  assertDelivered(outcome, data);
});

test('a NAKed block is sent again', async () => {
  const data = testData(4000);
  const outcome = await transfer(data, { nakBlocks: [2] });
  assertDelivered(outcome, data);
  assert.ok(outcome.receiver.events.includes('scripted-nak 2'));
  assert.ok(outcome.events.some((e) => e.type === 'retry' && e.reason === 'nak' && e.block === 2));
});

test('a block corrupted on the line is NAKed by the CRC check and re-sent', async () => {
  const data = testData(4000);
  const outcome = await transfer(data, { corruptBlocks: [1, 3] });
  assertDelivered(outcome, data);
  assert.ok(outcome.receiver.events.includes('bad-block 1'));
});

test('a lost ACK: the sender times out, re-sends, and the receiver ACKs the duplicate', async () => {
  const data = testData(4000);
  const outcome = await transfer(data, { dropAckBlocks: [2] });
  assertDelivered(outcome, data);
  assert.ok(outcome.receiver.events.some((e) => e.startsWith('duplicate')));
  assert.ok(outcome.events.some((e) => e.type === 'retry' && e.reason === 'timeout'));
});

test('Particle dialect: a NAK for a block re-sent after a lost ACK means it was stored', async () => {
  const data = testData(4000);
  const outcome = await transfer(data, { dropAckBlocks: [2], nakDuplicates: true, eot: 'particle' }, { dialect: { nakOnDuplicate: true } });
  assertDelivered(outcome, data);
  assert.ok(outcome.receiver.events.some((e) => e.startsWith('duplicate')));
});

test('without the Particle dialect, a receiver that NAKs duplicates makes the block fail rather than be skipped', async () => {
  const data = testData(4000);
  const outcome = await transfer(data, { dropAckBlocks: [2], nakDuplicates: true }, { retries: 3 });
  assert.ok(outcome.result instanceof TransferError);
  assert.equal(outcome.result.code, 'TOO_MANY_RETRIES');
  assert.equal(outcome.receiver.events.at(-1), 'host-cancel');
});

test('both EOT dialects: NAK-then-ACK (standard) and ACK-first with no C (Particle)', async () => {
  const data = testData(2000);
  const standard = await transfer(data, { eot: 'standard' });
  assertDelivered(standard, data);
  assert.equal(!(standard.result instanceof Error) && standard.result.firstEotAcked, false);
  const particle = await transfer(data, { eot: 'particle' });
  assertDelivered(particle, data);
  assert.equal(!(particle.result instanceof Error) && particle.result.firstEotAcked, true);
});

test('the receiver cancelling mid-transfer is reported with the text it printed', async () => {
  const outcome = await transfer(testData(8000), { cancelAfter: 3, cancelText: 'Failed to save chunk!' });
  assert.ok(outcome.result instanceof TransferError);
  assert.equal(outcome.result.code, 'RECEIVER_CANCELLED');
  assert.match(outcome.result.message, /Failed to save chunk!/);
  assert.equal(outcome.result.context.bytesAcknowledged, 2048);
  assert.equal(outcome.result.receiver.toldToAbort, undefined, 'no CAN sent back to a receiver that cancelled');
});

test('a silent receiver ends in a start timeout, and nothing is sent', async () => {
  const outcome = await transfer(testData(100), { start: 'silent' }, { startTimeoutMs: 200 });
  assert.ok(outcome.result instanceof TransferError);
  assert.equal(outcome.result.code, 'NO_RECEIVER');
  assert.match(outcome.result.message, /did not ask for the file within 0\.2 s/);
  assert.equal(outcome.receiver.file, undefined);
});

test('silentStart sends the header anyway to a receiver that waits for the first packet', async () => {
  const data = testData(3000);
  const outcome = await transfer(data, { start: 'silent' }, { startTimeoutMs: 200, dialect: { silentStart: true } });
  assertDelivered(outcome, data);
});

test('banner text before the C is collected as device text, not treated as protocol', async () => {
  const data = testData(300);
  const outcome = await transfer(data, { banner: 'IAP Bootloader v1.2\r\nCopy Ready\r\n' });
  assertDelivered(outcome, data);
  const text = outcome.events.filter((e) => e.type === 'device-text').map((e) => (e as { text: string }).text);
  assert.deepEqual(text, ['IAP Bootloader v1.2', 'Copy Ready']);
});

test('checksum mode when the receiver starts with NAK', async () => {
  const data = testData(700);
  const outcome = await transfer(data, { start: 'NAK' }, { blockSize: 128 });
  assertDelivered(outcome, data);
  assert.ok(outcome.events.some((e) => e.type === 'receiver-ready' && e.checksum === 'sum8'));
});

test('retries are bounded: a receiver that NAKs forever fails after retries + 1 attempts and is sent CAN', async () => {
  const outcome = await transfer(testData(2000), { nakBlocks: [1, 2, 3, 4, 5] }, { retries: 2 });
  assert.ok(outcome.result instanceof TransferError);
  assert.equal(outcome.result.code, 'TOO_MANY_RETRIES');
  assert.match(outcome.result.message, /3 attempts/);
  assert.equal(outcome.receiver.events.at(-1), 'host-cancel');
});

test('a 0-byte file is refused before anything is sent', async () => {
  const outcome = await transfer(Buffer.alloc(0));
  assert.ok(outcome.result instanceof InputError);
  assert.equal(outcome.result.code, 'FILE_EMPTY');
  assert.equal(outcome.receiver.file, undefined);
  assert.deepEqual(outcome.receiver.trailing, []);
});

test('cancelling with an AbortSignal sends CAN CAN after a whole block and reports what was sent', async () => {
  const receiver = new ScriptedReceiver({});
  const link = await openVirtualStream(receiver, { bytesPerSecond: 50_000 });
  const controller = new AbortController();
  const sender = new FileSender(link.stream, {
    ...FAST,
    signal: controller.signal,
    onEvent: (e) => {
      if (e.type === 'progress' && e.block === 2) controller.abort();
    },
  });
  const error = await sender.send(bufferBlockSource(testData(20_000))).catch((e: unknown) => e);
  await new Promise((r) => setTimeout(r, 100));
  await link.close();
  assert.ok(error instanceof CancelledError);
  assert.match(error.message, /cancelled after 2048 of 20000 bytes; the receiver was told to discard it/);
  assert.ok(receiver.events.includes('host-cancel'));
  assert.equal(receiver.events.filter((e) => e.startsWith('bad-block')).length, 0, 'no block was cut by the CANs');
  assert.ok(receiver.trailing.every((b) => b === CAN));
});

test('Particle dialect: a NAK for a first copy still means re-send (only a re-sent copy counts as stored)', async () => {
  const data = testData(4000);
  const outcome = await transfer(data, { nakBlocks: [2], nakDuplicates: true, eot: 'particle' }, { dialect: { nakOnDuplicate: true } });
  assertDelivered(outcome, data);
  assert.ok(outcome.receiver.events.includes('scripted-nak 2'));
});

test('a receiver that never acknowledges the closing block is not reported as a success', async () => {
  const data = testData(3000);
  const receiver = new ScriptedReceiver({});
  const link = await openVirtualStream({
    onHostOpen: (port) => receiver.onHostOpen(port),
    onHostClose: () => receiver.onHostClose(),
    // Swallow the end-of-batch block: everything before it is answered normally.
    onHostData: (chunk) => {
      if (!(receiver.eotSeen && chunk[0] === 0x01 && chunk[1] === 0)) receiver.onHostData(chunk);
    },
  });
  const sender = new FileSender(link.stream, { ...FAST, retries: 2 });
  const error = await sender.send(bufferBlockSource(data)).catch((e: unknown) => e);
  await link.close();
  assert.ok(error instanceof TransferError, 'no success without the final ACK');
  assert.equal(error.context.phase, 'end');
  assert.match(error.message, /acknowledged all 3000 bytes but not the closing block/);
});

test('a receiver whose dialect sends no C after EOT gets the closing block at once, not after the grace period', async () => {
  // Device OS ACKs the first EOT and waits for the closing block: waiting 60 s for a C would
  // run into the 10 s abort below.
  const data = testData(3000);
  const outcome = await transfer(data, { eot: 'particle' }, { eotGraceMs: 60_000, dialect: { requestsAfterEot: false }, signal: AbortSignal.timeout(10_000) });
  assertDelivered(outcome, data);
});
