import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startVirtualPort, type VirtualDeviceOptions } from '../../src/emulator/index.js';
import { mulberry32 } from '../../src/emulator/faults.js';
import type { ParticleDevice } from '../../src/emulator/particle-device.js';
import type { YmodemDevice } from '../../src/emulator/ymodem-device.js';
import { encodeBlock, encodeEndOfBatchBlock, encodeHeaderBlock } from '../../src/protocol/blocks.js';
import { ACK, CAN, CRC_REQUEST, EOT } from '../../src/protocol/control-bytes.js';
import { Host, TEST_SCALE, sendFile, sleep, testData } from './harness.js';

const fixture = (name: string) => readFileSync(new URL(`../../../fixtures/${name}`, import.meta.url));
const NOISE_LINE = /\d{10} \[app\] [^\r]*\r\n/g;
/** Shorter than the receiver's own timeouts at TEST_SCALE (100 ms), so the device never times out first. */
const RETRY_MS = 25;

async function start(profile: string, options: VirtualDeviceOptions) {
  const port = startVirtualPort(profile, { timeScale: TEST_SCALE, ...options });
  const host = await Host.open(port.binding, port.path);
  return { port, host, done: async () => (await host.close(), port.close()) };
}

/** Writes `frame` until the device's answer contains ACK; returns the answers seen. */
async function untilAck(host: Host, frame: Buffer): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const from = host.received.length;
    await host.write(frame);
    if (await host.waitUntil(() => host.received.subarray(from).includes(ACK), RETRY_MS)) return;
  }
  throw new Error('no ACK after 20 attempts');
}

/** A sender that survives lost ACKs and damaged blocks against a standard receiver. */
async function robustSend(host: Host, data: Buffer): Promise<void> {
  await host.expect(CRC_REQUEST);
  await untilAck(host, encodeHeaderBlock({ name: 'f.bin', size: data.length }));
  for (let offset = 0, seq = 1; offset < data.length; offset += 128, seq++) {
    await untilAck(host, encodeBlock(seq, data.subarray(offset, offset + 128), 128));
  }
  await untilAck(host, Buffer.of(EOT)); // NAK first, then ACK: untilAck sends it again
  await untilAck(host, encodeEndOfBatchBlock());
}

test('mulberry32 replays from its seed and differs between seeds', () => {
  const a = mulberry32(42);
  const b = mulberry32(42);
  const c = mulberry32(43);
  const sa = Array.from({ length: 8 }, a);
  assert.deepEqual(sa, Array.from({ length: 8 }, b));
  assert.notDeepEqual(sa, Array.from({ length: 8 }, c));
  assert.ok(sa.every((x) => x >= 0 && x < 1));
});

async function replay(profile: string, options: VirtualDeviceOptions, run: (host: Host) => Promise<void>) {
  const { port, host, done } = await start(profile, options);
  try {
    await run(host);
    return { bytes: Buffer.from(host.raw), stats: { ...port.faults }, device: port.device };
  } finally {
    await done();
  }
}

test('dropAck: lost ACKs are replayed exactly from the seed, and the file still arrives whole', async () => {
  const data = testData(1500);
  const scenario = (seed: number) => replay('ymodem', { faults: { seed, dropAck: 0.3 } }, (host) => robustSend(host, data));
  const first = await scenario(42);
  const second = await scenario(42);
  assert.ok(first.stats.droppedAcks > 0, 'some ACKs were dropped');
  assert.deepEqual(second.bytes, first.bytes);
  assert.equal(second.stats.droppedAcks, first.stats.droppedAcks);
  assert.deepEqual((first.device as YmodemDevice).files[0]!.data, data);
  const others = await Promise.all([7, 8, 9].map((seed) => scenario(seed)));
  assert.ok(others.some((o) => !o.bytes.equals(first.bytes)), 'other seeds lose other ACKs');
});

test('corrupt: damaged blocks are NAKed by a CRC-checking receiver, replayably', async () => {
  const data = testData(2000, 3);
  const scenario = () => replay('ymodem', { faults: { seed: 5, corrupt: 0.3 } }, (host) => robustSend(host, data));
  const first = await scenario();
  const second = await scenario();
  assert.ok(first.stats.corruptedBlocks > 0);
  assert.ok(first.bytes.includes(0x15), 'the receiver NAKed something');
  assert.deepEqual(second.bytes, first.bytes);
  assert.deepEqual((first.device as YmodemDevice).files[0]!.data, data);
});

test('corrupt on a Device OS receiver goes unnoticed: it never checks the CRC', async () => {
  const data = testData(1024, 4);
  const { port, host, done } = await start('photon', { firmwareVersion: '0.5', faults: { seed: 1, corrupt: 1 } });
  try {
    await host.setBaudRate(28800);
    await host.write('f');
    await host.expect("(press 'a' to abort)\r\n");
    await host.write(encodeHeaderBlock({ name: 'x', size: data.length }));
    await host.expectNext([ACK, CRC_REQUEST]);
    await host.write(encodeBlock(1, data, 1024));
    await host.expectNext([ACK]);
    const stored = (port.device as ParticleDevice).flash.read(0x080c0000, data.length);
    assert.notDeepEqual(stored, data);
    assert.equal(port.faults.corruptedBlocks, 2); // header and data block
  } finally {
    await done();
  }
});

test('noise: log lines arrive every period, between protocol bytes too, with replayable contents', async () => {
  const image = fixture('photon-user-part.bin');
  const scenario = () =>
    // 2 ms per flash write keeps the transfer long enough for log lines to fall inside it.
    replay('photon', { noise: 0.015, seed: 1, writeMs: 2 }, async (host) => {
      host.ignore = NOISE_LINE;
      await sleep(60);
      await host.setBaudRate(28800);
      await host.write('f');
      await host.expect("(press 'a' to abort)\r\n");
      await sendFile(host, 'p.bin', image, { blockSize: 128 });
      await host.expect('Downloaded file successfully!');
      await host.waitClosed();
    });
  const first = await scenario();
  const second = await scenario();
  const lines = (bytes: Buffer) => bytes.toString('latin1').match(NOISE_LINE) ?? [];
  assert.ok(lines(first.bytes).length >= 3, 'several log lines');
  const text = first.bytes.toString('latin1');
  const during = text.slice(text.indexOf("(press 'a' to abort)"), text.indexOf('Downloaded file successfully!'));
  assert.ok((during.match(NOISE_LINE) ?? []).length >= 1, 'log lines between protocol bytes');
  const n = Math.min(lines(first.bytes).length, lines(second.bytes).length);
  assert.deepEqual(lines(first.bytes).slice(0, n), lines(second.bytes).slice(0, n));
  assert.equal((first.device as ParticleDevice).summary().transfers[0]!.status, 'accepted');
});

test('firstAnswerMs: a slow device holds its first answer back', async () => {
  const t0 = performance.now();
  const slow = await replay('ymodem', { faults: { firstAnswerMs: 120 } }, (host) => host.expectNext([CRC_REQUEST]));
  assert.ok(performance.now() - t0 >= 110);
  const fast = await replay('ymodem', {}, (host) => host.expectNext([CRC_REQUEST]));
  assert.deepEqual(slow.bytes, fast.bytes, 'the same answer, only later');
});

test('dieAfterBlocks: the device ACKs N data blocks, then resets and its port vanishes', async () => {
  const data = testData(4096);
  const scenario = () =>
    replay('photon', { faults: { dieAfterBlocks: 2 } }, async (host) => {
      await host.setBaudRate(28800);
      await host.write('f');
      await host.expect("(press 'a' to abort)\r\n");
      await host.write(encodeHeaderBlock({ name: 'x', size: data.length }));
      await host.expectNext([ACK, CRC_REQUEST]);
      await host.write(encodeBlock(1, data.subarray(0, 1024), 1024));
      await host.expectNext([ACK]);
      await host.write(encodeBlock(2, data.subarray(1024, 2048), 1024));
      await host.expectNext([ACK]);
      await host.waitClosed();
    });
  const first = await scenario();
  const second = await scenario();
  assert.deepEqual(second.bytes, first.bytes);
  assert.equal(first.device.summary().resets, 1);
});

test('abortAfterBlocks: the device cancels with CAN CAN and its reason, on any profile', async () => {
  const scenario = () => replay('photon', { faults: { abortAfterBlocks: 1, abortReason: 'Flash write error' } }, async (host) => {
    await host.setBaudRate(28800);
    await host.write('f');
    await host.expect("(press 'a' to abort)\r\n");
    await host.write(encodeHeaderBlock({ name: 'x', size: 2048 }));
    await host.expectNext([ACK, CRC_REQUEST]);
    await host.write(encodeBlock(1, testData(1024), 1024));
    await host.expectNext([ACK, CAN, CAN]);
    await host.expect('Flash write error\r\n');
  });
  const particle = await scenario();
  assert.deepEqual((await scenario()).bytes, particle.bytes);
  assert.equal(particle.device.summary().transfers[0]!.reason, 'Flash write error');
  const uboot = await replay('uboot', { faults: { abortAfterBlocks: 1 } }, async (host) => {
    await host.write('loady\r');
    await host.expect('bps...\r\n');
    await host.expectNext([CRC_REQUEST]);
    await host.write(encodeHeaderBlock({ name: 'x', size: 2048 }));
    await host.expectNext([ACK]);
    await host.write(encodeBlock(1, testData(1024), 1024));
    await host.expectNext([ACK, CAN, CAN]);
    await host.expect('=> ');
  });
  assert.equal(uboot.device.summary().transfers[0]!.status, 'failed');
});
