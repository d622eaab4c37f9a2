import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startVirtualPort } from '../../src/emulator/index.js';
import type { YmodemDevice } from '../../src/emulator/ymodem-device.js';
import { encodeBlock, encodeEndOfBatchBlock, encodeHeaderBlock } from '../../src/protocol/blocks.js';
import { ACK, CAN, CRC_REQUEST, EOT, NAK } from '../../src/protocol/control-bytes.js';
import { Host, TEST_SCALE, endFile, sendFile, testData } from './harness.js';

async function start(options = {}) {
  const port = startVirtualPort('ymodem', { timeScale: TEST_SCALE, ...options });
  const host = await Host.open(port.binding, port.path);
  const device = port.device as YmodemDevice;
  return { port, host, device, done: async () => (await host.close(), port.close()) };
}

for (const size of [1, 127, 128, 129, 1023, 1024, 1025, 3000]) {
  test(`strict receiver stores a ${size}-byte file truncated to the header's size`, async () => {
    const { host, device, done } = await start();
    try {
      await host.expectNext([CRC_REQUEST]);
      const data = testData(size, size);
      await sendFile(host, 'file.bin', data, { blockSize: size % 2 ? 128 : 1024, eotNakFirst: true });
      assert.equal(device.files.length, 1);
      assert.equal(device.files[0]!.name, 'file.bin');
      assert.deepEqual(device.files[0]!.data, data);
      assert.equal(device.summary().transfers[0]!.sha256, createHash('sha256').update(data).digest('hex'));
    } finally {
      await done();
    }
  });
}

test('strict receiver accepts an empty (0-byte) file: header, EOT, end of batch', async () => {
  const { host, device, done } = await start();
  try {
    await host.expectNext([CRC_REQUEST]);
    await sendFile(host, 'empty.bin', Buffer.alloc(0), { eotNakFirst: true });
    assert.equal(device.files[0]!.data.length, 0);
  } finally {
    await done();
  }
});

test('strict receiver NAKs a block with a bad CRC and takes the re-sent good copy', async () => {
  const { host, device, done } = await start();
  try {
    await host.expectNext([CRC_REQUEST]);
    const data = testData(2048);
    await host.write(encodeHeaderBlock({ name: 'x', size: data.length }));
    await host.expectNext([ACK, CRC_REQUEST]);
    const good = encodeBlock(1, data.subarray(0, 1024), 1024);
    const bad = Buffer.from(good);
    bad[500] ^= 0x01;
    await host.write(bad);
    await host.expectNext([NAK]);
    await host.write(good);
    await host.expectNext([ACK]);
    // A damaged CRC byte itself is caught too.
    const block2 = encodeBlock(2, data.subarray(1024), 1024);
    const badCrc = Buffer.from(block2);
    badCrc[badCrc.length - 1] ^= 0xff;
    await host.write(badCrc);
    await host.expectNext([NAK]);
    await host.write(block2);
    await host.expectNext([ACK]);
    await endFile(host, { eotNakFirst: true });
    assert.deepEqual(device.files[0]!.data, data);
  } finally {
    await done();
  }
});

test('strict receiver ACKs a duplicate of the previous block and stores it once', async () => {
  const { host, device, done } = await start();
  try {
    await host.expectNext([CRC_REQUEST]);
    const data = testData(300);
    await host.write(encodeHeaderBlock({ name: 'dup', size: data.length }));
    await host.expectNext([ACK, CRC_REQUEST]);
    const b1 = encodeBlock(1, data.subarray(0, 128), 128);
    await host.write(b1);
    await host.expectNext([ACK]);
    await host.write(b1); // the sender lost our ACK and re-sends
    await host.expectNext([ACK]);
    await host.write(encodeBlock(2, data.subarray(128, 256), 128));
    await host.expectNext([ACK]);
    await host.write(encodeBlock(3, data.subarray(256), 128));
    await host.expectNext([ACK]);
    await endFile(host, { eotNakFirst: true });
    assert.deepEqual(device.files[0]!.data, data);
  } finally {
    await done();
  }
});

test('strict receiver takes a batch of two files, goes quiet, and listens again when the port is reopened', async () => {
  const { host, device, port, done } = await start();
  try {
    await host.expectNext([CRC_REQUEST]);
    const a = testData(200, 1);
    const b = testData(1500, 2);
    await host.write(encodeHeaderBlock({ name: 'a', size: a.length }));
    await host.expectNext([ACK, CRC_REQUEST]);
    await host.write(encodeBlock(1, a, 1024));
    await host.expectNext([ACK]);
    await host.write(Buffer.of(EOT));
    await host.expectNext([NAK]);
    await host.write(Buffer.of(EOT));
    await host.expectNext([ACK, CRC_REQUEST]);
    await sendFile(host, 'b', b, { eotNakFirst: true });
    assert.deepEqual(device.files.map((f) => [f.name, f.data.length]), [['a', 200], ['b', 1500]]);
    await host.expectSilence(250); // `rb` has exited: no more requests
    await host.close();
    const again = await Host.open(port.binding, port.path);
    await again.expectNext([CRC_REQUEST]); // a new `rb`
    await again.close();
  } finally {
    await done();
  }
});

test('inside a transfer the strict receiver NAKs each silence and gives up with CAN CAN after 10', async () => {
  const t0 = performance.now();
  const { host, device, done } = await start({ timeScale: 0.002 });
  try {
    await host.expectNext([CRC_REQUEST]);
    await host.write(encodeHeaderBlock({ name: 'x', size: 3000 }));
    await host.expectNext([ACK, CRC_REQUEST]);
    // 10 s per block wait at scale 0.002: 20 ms. Nine NAKs, then CAN CAN on the tenth silence.
    for (let i = 0; i < 9; i++) await host.expectNext([NAK]);
    await host.expectNext([CAN, CAN]);
    // A lower bound only: load can delay the answers but never hasten them.
    assert.ok(performance.now() - t0 >= 190, 'ten periods of silence passed before giving up');
    assert.equal(device.summary().transfers[0]!.reason, 'too-many-errors');
  } finally {
    await done();
  }
});

test('checksum mode: the receiver asks with NAK and checks the 8-bit sum', async () => {
  const { host, device, done } = await start({ checksum: 'sum8' });
  try {
    await host.expectNext([NAK]);
    const data = testData(130);
    await host.write(encodeHeaderBlock({ name: 's', size: data.length }, 'sum8'));
    await host.expectNext([ACK, NAK]);
    const block = encodeBlock(1, data.subarray(0, 128), 128, 'sum8');
    const bad = Buffer.from(block);
    bad[10] ^= 0x80;
    await host.write(bad);
    await host.expectNext([NAK]);
    await host.write(block);
    await host.expectNext([ACK]);
    await host.write(encodeBlock(2, data.subarray(128), 128, 'sum8'));
    await host.expectNext([ACK]);
    await host.write(Buffer.of(EOT));
    await host.expectNext([NAK]);
    await host.write(Buffer.of(EOT));
    await host.expectNext([ACK, NAK]);
    await host.write(encodeEndOfBatchBlock('sum8'));
    await host.expectNext([ACK]);
    assert.deepEqual(device.files[0]!.data, data);
  } finally {
    await done();
  }
});

test('CAN CAN from the host ends the session without storing the file', async () => {
  const { host, device, done } = await start();
  try {
    await host.expectNext([CRC_REQUEST]);
    await host.write(encodeHeaderBlock({ name: 'c', size: 2000 }));
    await host.expectNext([ACK, CRC_REQUEST]);
    await host.write(Buffer.of(CAN, CAN));
    await host.expectSilence(50); // no ACK for a cancel, and the session is over
    assert.equal(device.files.length, 0);
    assert.equal(device.summary().transfers[0]!.status, 'failed');
    assert.equal(device.summary().transfers[0]!.reason, 'sender-cancelled');
  } finally {
    await done();
  }
});

test('while idle, the receiver keeps asking with C past its error limit, as rb run in a loop does', async () => {
  const { host, device, done } = await start();
  try {
    // lrzsz rb gives up after 10 unanswered requests; the next rb asks again at once.
    for (let request = 0; request < 25; request++) await host.expectNext([CRC_REQUEST]);
    const data = testData(1500);
    await sendFile(host, 'late.bin', data, { eotNakFirst: true });
    assert.deepEqual(device.files[0]!.data, data);
  } finally {
    await done();
  }
});
