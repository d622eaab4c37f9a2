import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { startVirtualPort, type VirtualDeviceOptions } from '../../src/emulator/index.js';
import type { ParticleDevice } from '../../src/emulator/particle-device.js';
import { encodeBlock, encodeEndOfBatchBlock, encodeHeaderBlock } from '../../src/protocol/blocks.js';
import { ACK, CAN, CRC_REQUEST, EOT, NAK } from '../../src/protocol/control-bytes.js';
import { Host, TEST_SCALE, eventually, sendFile, sleep, testData } from './harness.js';

const fixture = (name: string) => readFileSync(new URL(`../../../fixtures/${name}`, import.meta.url));
const PROMPT = "Waiting for the binary file to be sent ... (press 'a' to abort)\r\n";

async function start(profile = 'photon', options: VirtualDeviceOptions = {}) {
  const port = startVirtualPort(profile, { timeScale: TEST_SCALE, ...options });
  const host = await Host.open(port.binding, port.path, 9600);
  const device = port.device as ParticleDevice;
  return { port, host, device, done: async () => (await host.close(), port.close()) };
}

/** 9600 then 28800, as a sender must on Linux, then `f` and the prompt. */
async function enterReceiver(host: Host): Promise<void> {
  await host.setBaudRate(28800);
  await host.write('f');
  await host.expect(PROMPT);
}

test('28800 baud enters listening mode; i, v, m and s answer; f prints the exact prompt; x leaves', async () => {
  const { host, device, done } = await start('photon', { deviceId: '0123456789abcdef01234567' });
  try {
    await host.write('i');
    await host.expectSilence(50); // the application does not read the port
    await host.setBaudRate(28800);
    assert.equal(device.mode, 'listening');
    await host.write('i');
    await host.expect('Your device id is 0123456789abcdef01234567\r\n');
    await host.write('v');
    await host.expect('system firmware version: 1.5.2\r\n');
    await host.write('m');
    await host.expect('Your device MAC address is\r\n');
    await host.expect('\r\n');
    await host.write('s');
    await host.expect('\r\n');
    const json = host.text.split('\r\n').at(-2)!;
    assert.equal(JSON.parse(json).p, 6);
    await host.write('x');
    await sleep(10);
    assert.equal(device.mode, 'application');
    await host.setBaudRate(9600);
    await host.setBaudRate(28800);
    await host.write('f');
    await host.expect(PROMPT);
    // Device OS waits one byte timeout (5 s, here 50 ms) before its first C.
    await host.expectNext([CRC_REQUEST]);
  } finally {
    await done();
  }
});

test('a Photon on 0.6.1+ receives, validates, installs at the module address, and resets: the port goes away and comes back', async () => {
  const { port, host, device, done } = await start();
  try {
    const image = fixture('photon-user-part.bin');
    await enterReceiver(host);
    await host.expectNext([CRC_REQUEST]);
    await sendFile(host, 'photon-user-part.bin', image, { blockSize: 128 });
    await host.expect('\r\nDownloaded file successfully!\r\nName: photon-user-part.bin\r\nSize: 4004 bytes\r\n');
    await host.expect('Restarting system to apply firmware update...\r\n');
    await host.waitClosed();
    assert.equal(port.binding.has(port.path), false);
    assert.deepEqual(device.flash.read(0x080a0000, image.length), image);
    assert.deepEqual(device.flash.read(0x080c0000, image.length), image);
    const record = device.summary().transfers[0]!;
    assert.equal(record.status, 'accepted');
    assert.equal(record.installedAt, 0x080a0000);
    assert.equal(record.address, 0x080c0000);
    assert.equal(record.sha256, createHash('sha256').update(image).digest('hex'));
    // REBOOT_MS (3 s) scaled: the port comes back after about 30 ms.
    await eventually(() => port.binding.has(port.path));
    assert.equal(device.mode, 'application');
  } finally {
    await done();
  }
});

test('the Device OS receiver NAKs a duplicate packet, ACKs the first EOT with no C after it', async () => {
  const { host, device, done } = await start('photon', { firmwareVersion: '0.5' });
  try {
    const data = testData(300);
    await enterReceiver(host);
    await host.write(encodeHeaderBlock({ name: 'dup.bin', size: data.length }));
    await host.expectNext([ACK, CRC_REQUEST]);
    const b1 = encodeBlock(1, data.subarray(0, 128), 128);
    await host.write(b1);
    await host.expectNext([ACK]);
    await host.write(b1);
    await host.expectNext([NAK]); // a standard receiver would ACK this
    await host.write(encodeBlock(2, data.subarray(128, 256), 128));
    await host.expectNext([ACK]);
    await host.write(encodeBlock(3, data.subarray(256), 128));
    await host.expectNext([ACK]);
    await host.write(Buffer.of(EOT));
    await host.expectNext([ACK]);
    await host.expectSilence(30); // no C: the sender must send the empty packet 0 itself
    await host.write(encodeEndOfBatchBlock());
    await host.expectNext([ACK]);
    await host.expect('Downloaded file successfully!');
    assert.deepEqual(device.flash.read(0x080c0000, 300), data);
  } finally {
    await done();
  }
});

test('the Device OS receiver never checks the CRC: a block with a wrong CRC is stored as sent', async () => {
  const { host, device, done } = await start('photon', { firmwareVersion: '0.5' });
  try {
    const data = testData(128);
    await enterReceiver(host);
    await host.write(encodeHeaderBlock({ name: 'x', size: 128 }));
    await host.expectNext([ACK, CRC_REQUEST]);
    const block = encodeBlock(1, data, 128);
    block.writeUInt16BE(0, block.length - 2); // the old Particle CLI sent 00 00
    await host.write(block);
    await host.expectNext([ACK]);
    assert.deepEqual(device.flash.read(0x080c0000, 128), data);
  } finally {
    await done();
  }
});

test('silence after the header: C every byte timeout, and the 6th error ends with CAN CAN and a text', async () => {
  const { host, done } = await start();
  try {
    await enterReceiver(host);
    const t0 = performance.now();
    await host.write(encodeHeaderBlock({ name: 'x', size: 5000 }));
    await host.expectNext([ACK, CRC_REQUEST]);
    await host.expectNext([CRC_REQUEST, CRC_REQUEST, CRC_REQUEST, CRC_REQUEST, CRC_REQUEST, CRC_REQUEST, CAN, CAN], 1000);
    // 6 × 5 s scaled by 0.01
    assert.ok(performance.now() - t0 >= 290); // a lower bound: load only delays
    await host.expect('Failed to receive the file!\r\n');
  } finally {
    await done();
  }
});

test('validation failure on 0.6.1+: a corrupt image gets CAN CAN and "Validation failed" instead of the last ACK', async () => {
  const { host, device, done } = await start();
  try {
    const image = fixture('photon-user-part-bad-crc.bin');
    await enterReceiver(host);
    await host.write(encodeHeaderBlock({ name: 'bad.bin', size: image.length }));
    await host.expectNext([ACK, CRC_REQUEST]);
    for (let offset = 0, seq = 1; offset < image.length; offset += 1024, seq++) {
      await host.write(encodeBlock(seq, image.subarray(offset, offset + 1024), 1024));
      await host.expectNext([ACK]);
    }
    await host.write(Buffer.of(EOT));
    await host.expectNext([ACK]);
    await host.write(encodeEndOfBatchBlock());
    await host.expectNext([CAN, CAN]);
    await host.expect('Validation failed: 2\r\n'); // integrity
    assert.equal(device.summary().transfers[0]!.status, 'failed');
    assert.deepEqual(device.flash.read(0x080a0000, 16), Buffer.alloc(16, 0xff));
    assert.equal(device.mode, 'listening');
  } finally {
    await done();
  }
});

test('validation failure: an Electron image sent to a Photon is refused for its platform', async () => {
  const { host, done } = await start();
  try {
    await enterReceiver(host);
    const image = fixture('electron-user-part.bin');
    await host.write(encodeHeaderBlock({ name: 'e.bin', size: image.length }));
    await host.expectNext([ACK, CRC_REQUEST]);
    for (let offset = 0, seq = 1; offset < image.length; offset += 1024, seq++) {
      await host.write(encodeBlock(seq, image.subarray(offset, offset + 1024), 1024));
      await host.expectNext([ACK]);
    }
    await host.write(Buffer.of(EOT));
    await host.expectNext([ACK]);
    await host.write(encodeEndOfBatchBlock());
    await host.expectNext([CAN, CAN]);
    await host.expect('Validation failed: 16\r\n');
  } finally {
    await done();
  }
});

test('0.5 ACKs at once without validation: a corrupt image is "downloaded" but not installed', async () => {
  const { host, device, done } = await start('photon', { firmwareVersion: '0.5' });
  try {
    const image = fixture('photon-user-part-bad-crc.bin');
    await enterReceiver(host);
    await sendFile(host, 'bad.bin', image);
    await host.expect('Downloaded file successfully!');
    await host.expect('Restarting system to apply firmware update...');
    await host.waitClosed();
    const record = device.summary().transfers[0]!;
    assert.equal(record.status, 'accepted');
    assert.equal(record.installedAt, undefined);
    assert.match(record.notInstalled!, /CRC-32/);
  } finally {
    await done();
  }
});

test('0.4.x: 28800 arms the receiver directly, silent until the first packet, and resets with no restart notice', async () => {
  const { host, device, done } = await start('photon', { firmwareVersion: '0.4.x' });
  try {
    const image = fixture('photon-user-part.bin');
    await host.setBaudRate(28800);
    assert.equal(device.mode, 'receiving');
    await host.expectSilence(150); // three byte timeouts: no C
    await sendFile(host, 'photon-user-part.bin', image);
    await host.expect('Size: 4004 bytes\r\n');
    await host.waitClosed();
    assert.doesNotMatch(host.text, /Restarting/);
    assert.deepEqual(device.flash.read(0x080a0000, image.length), image);
  } finally {
    await done();
  }
});

test('6.x: 28800 does nothing; f in listening mode prints the prompt, four CANs and the refusal', async () => {
  const { host, device, done } = await start('photon', { firmwareVersion: '6.x' });
  try {
    await host.setBaudRate(28800);
    assert.equal(device.mode, 'application');
    device.enterListeningMode(); // the MODE button
    await host.write('v');
    await host.expect('system firmware version: 6.1.1\r\n');
    await host.write('f');
    await host.expect(PROMPT);
    await host.expectNext([CAN, CAN, CAN, CAN]);
    await host.expect('Serial/YModem flashing is no longer supported\r\n');
    assert.equal(device.mode, 'listening');
  } finally {
    await done();
  }
});

test('14400 baud sends the device to DFU: the port disappears and does not come back', async () => {
  const { port, host, device, done } = await start();
  try {
    await host.setBaudRate(14400);
    await host.waitClosed();
    assert.ok(host.closeError, 'the host sees a disconnection, not a clean close');
    assert.equal(port.binding.has(port.path), false);
    await sleep(80);
    assert.equal(port.binding.has(port.path), false);
    assert.equal(device.summary().resets, 1);
  } finally {
    await done();
  }
});

test('DTR gating: nothing reaches the host until DTR is asserted, which flushes the queued output', async () => {
  const { host, done } = await start('photon', { hostRaisesDtrOnOpen: false });
  try {
    await host.setBaudRate(28800);
    await host.write('i');
    await host.expectSilence(50);
    await host.setDtr(true);
    await host.expect('Your device id is ');
    await host.setDtr(false);
    await host.write('v');
    await host.expectSilence(50);
    await host.setDtr(true);
    await host.expect('system firmware version: ');
  } finally {
    await done();
  }
});

test('0.5+: a raw packet in listening mode starts the receiver with no prompt', async () => {
  const { host, done } = await start('p1', { firmwareVersion: '0.5' });
  try {
    await host.setBaudRate(28800);
    await host.write(encodeHeaderBlock({ name: 'raw.bin', size: 10 }));
    await host.expectNext([ACK, CRC_REQUEST]);
    assert.doesNotMatch(host.text, /Waiting/);
  } finally {
    await done();
  }
});

test('updates disabled: the header gets CAN CAN and the misleading size text', async () => {
  const { host, device, done } = await start('photon', { updatesDisabled: true });
  try {
    await enterReceiver(host);
    await host.write(encodeHeaderBlock({ name: 'x.bin', size: 4004 }));
    await host.expectNext([CAN, CAN]);
    await host.expect('The file size is higher than the allowed space memory!\r\n');
    assert.equal(device.summary().transfers[0]!.status, 'refused');
  } finally {
    await done();
  }
});

test('a header with size 0 is refused', async () => {
  const { host, done } = await start();
  try {
    await enterReceiver(host);
    await host.write(encodeHeaderBlock({ name: 'empty.bin', size: 0 }));
    await host.expectNext([CAN, CAN]);
    await host.expect('The file size is higher than the allowed space memory!\r\n');
  } finally {
    await done();
  }
});

test("sender aborts: 'a' → Aborted by user.; a space is ACKed; CAN CAN → ACK CAN CAN on 0.6.1+, ACK alone on 0.5", async () => {
  for (const [firmwareVersion, answer] of [
    ['0.6.1+', [ACK, CAN, CAN]],
    ['0.5', [ACK]],
  ] as const) {
    const { host, done } = await start('photon', { firmwareVersion });
    try {
      await enterReceiver(host);
      await host.write(encodeHeaderBlock({ name: 'x', size: 100 }));
      await host.expectNext([ACK, CRC_REQUEST]);
      await host.write(' ');
      await host.expectNext([ACK]);
      await host.write(Buffer.of(CAN, CAN));
      await host.expectNext([...answer]);
      await host.expect('Failed to receive the file!\r\n');
      await host.write('f');
      await host.expect(PROMPT);
      await host.write('a');
      await host.expectNext([CAN, CAN]);
      await host.expect('Aborted by user.\r\n');
    } finally {
      await done();
    }
  }
});

test('a sender stuck re-sending a stored packet is NAKed until the 30 s no-chunk rule resets the device', async () => {
  const { host, device, done } = await start();
  try {
    await enterReceiver(host);
    const data = testData(2048);
    await host.write(encodeHeaderBlock({ name: 'x', size: data.length }));
    await host.expectNext([ACK, CRC_REQUEST]);
    const b1 = encodeBlock(1, data.subarray(0, 1024), 1024);
    await host.write(b1);
    await host.expectNext([ACK]);
    while (!host.closed) {
      await host.write(b1).catch(() => {});
      await sleep(40);
    }
    assert.match(device.summary().transfers[0]!.reason!, /reset/);
  } finally {
    await done();
  }
});

test('an Electron installs its user part at 0x08080000', async () => {
  const { host, device, port, done } = await start('electron');
  try {
    assert.equal(port.portOptions.productId, 'c00a');
    const image = fixture('electron-user-part.bin');
    await enterReceiver(host);
    await sendFile(host, 'electron-user-part.bin', image);
    await host.expect('Downloaded file successfully!');
    await host.waitClosed();
    assert.deepEqual(device.flash.read(0x08080000, image.length), image);
  } finally {
    await done();
  }
});
