import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startVirtualPort, type VirtualDeviceOptions } from '../../src/emulator/index.js';
import type { SparkCoreDevice } from '../../src/emulator/spark-core-device.js';
import { encodeHeaderBlock } from '../../src/protocol/blocks.js';
import { ACK, CAN, CRC_REQUEST } from '../../src/protocol/control-bytes.js';
import { Host, TEST_SCALE, sendFile } from './harness.js';

const fixture = (name: string) => readFileSync(new URL(`../../../fixtures/${name}`, import.meta.url));

async function start(options: VirtualDeviceOptions = {}) {
  const port = startVirtualPort('core', { timeScale: TEST_SCALE, ...options });
  const host = await Host.open(port.binding, port.path, 9600);
  const device = port.device as SparkCoreDevice;
  return { port, host, device, done: async () => (await host.close(), port.close()) };
}

test('the Core at 28800 arms a silent receiver; the image lands at external 0x60000 and is copied to 0x08005000', async () => {
  const { port, host, device, done } = await start();
  try {
    assert.deepEqual([port.portOptions.vendorId, port.portOptions.productId], ['1d50', '607d']);
    await host.setBaudRate(28800);
    assert.equal(device.mode, 'receiving');
    await host.expectSilence(150); // no C before the first good packet
    const image = fixture('core-app-0x08005000.bin');
    await sendFile(host, 'core-app.bin', image, { blockSize: 128 });
    await host.expect('\r\nDownloaded file successfully!\r\nName: core-app.bin\r\nSize: 5000 bytes\r\n');
    await host.waitClosed();
    assert.deepEqual(device.externalFlash.read(0x60000, image.length), image);
    assert.deepEqual(device.flash.read(0x08005000, image.length), image);
    const record = device.summary().transfers[0]!;
    assert.equal(record.installedAt, 0x08005000);
    assert.equal(record.address, 0x60000);
  } finally {
    await done();
  }
});

test('the Core installs an image linked for the wrong address anyway: it checks nothing', async () => {
  const { host, device, done } = await start();
  try {
    await host.setBaudRate(28800);
    const image = fixture('core-app-0x0800A000.bin');
    await sendFile(host, 'wrong.bin', image);
    await host.waitClosed();
    assert.deepEqual(device.flash.read(0x08005000, image.length), image);
    assert.equal(device.summary().transfers[0]!.status, 'accepted');
  } finally {
    await done();
  }
});

test('the Core refuses an image larger than its 110592-byte application area', async () => {
  const { host, done } = await start();
  try {
    await host.setBaudRate(28800);
    await host.write(encodeHeaderBlock({ name: 'big.bin', size: 110593 }));
    await host.expectNext([CAN, CAN]);
    await host.expect('The file size is higher than the allowed space memory!\r\n');
  } finally {
    await done();
  }
});

test('listening mode on the Core: "Your core id is", and f without the Ymodem library prints the hint', async () => {
  const { host, device, done } = await start({ listening: true, ymodemLibrary: false, deviceId: 'aabbccddeeff001122334455' });
  try {
    await host.write('i');
    await host.expect('Your core id is aabbccddeeff001122334455\r\n');
    await host.write('f');
    await host.expect('Firmware update using this terminal is not supported!\r\n');
    await host.expect('Add #include "Ymodem/Ymodem.h" to your sketch and try again.\r\n');
    assert.equal(device.mode, 'listening');
  } finally {
    await done();
  }
});

test('listening mode on the Core with the Ymodem library: f prompts, then the silent receiver takes the file', async () => {
  const { host, done } = await start({ listening: true });
  try {
    await host.write('f');
    await host.expect("Waiting for the binary file to be sent ... (press 'a' to abort)\r\n");
    await host.expectSilence(100);
    await host.write(encodeHeaderBlock({ name: 'x.bin', size: 10 }));
    await host.expectNext([ACK, CRC_REQUEST]);
  } finally {
    await done();
  }
});

test('the Core is not DTR-gated: it answers with DTR low', async () => {
  const { host, done } = await start({ listening: true, hostRaisesDtrOnOpen: false });
  try {
    await host.write('i');
    await host.expect('Your core id is ');
  } finally {
    await done();
  }
});
