import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startVirtualPort } from '../../src/emulator/index.js';
import type { UBootDevice } from '../../src/emulator/uboot-device.js';
import { encodeBlock, encodeHeaderBlock } from '../../src/protocol/blocks.js';
import { ACK, CAN, CRC_REQUEST, NAK } from '../../src/protocol/control-bytes.js';
import { Host, TEST_SCALE, sendFile, testData } from './harness.js';

async function start() {
  const port = startVirtualPort('uboot', { timeScale: TEST_SCALE });
  const host = await Host.open(port.binding, port.path, 115200);
  const device = port.device as UBootDevice;
  return { port, host, device, done: async () => (await host.close(), port.close()) };
}

test('the banner was printed at power-on, before the host opened: lost; a CR gets a fresh prompt', async () => {
  const { host, done } = await start();
  try {
    await host.expectSilence(30);
    await host.write('\r');
    await host.expectNext([...Buffer.from('\r\n=> ')]);
  } finally {
    await done();
  }
});

test('power cycle with the port open shows the banner; the UART port stays', async () => {
  const { port, host, device, done } = await start();
  try {
    device.powerCycle();
    await host.expect('U-Boot 2024.01');
    await host.expect('=> ');
    assert.equal(port.binding.has(port.path), true);
    assert.equal(host.closed, false);
  } finally {
    await done();
  }
});

test('unknown commands are echoed and refused the U-Boot way', async () => {
  const { host, done } = await start();
  try {
    await host.write('foo bar\r');
    await host.expect("foo bar\r\nUnknown command 'foo' - try 'help'\r\n=> ");
  } finally {
    await done();
  }
});

for (const [command, address] of [
  ['loady 0x82000000', 0x82000000],
  ['loady 82000400', 0x82000400],
  ['loady', 0x81000000],
] as const) {
  test(`"${command}" stores the file at 0x${address.toString(16)}`, async () => {
    const { host, device, done } = await start();
    try {
      const data = testData(4660);
      await host.write(`${command}\r`);
      await host.expect(`## Ready for binary (ymodem) download to 0x${address.toString(16).toUpperCase()} at 115200 bps...\r\n`);
      await host.expectNext([CRC_REQUEST]);
      await sendFile(host, 'kernel.bin', data, { eotNakFirst: true, noRequestAfterHeader: true });
      await host.expect('## Total Size      = 0x00001234 = 4660 Bytes\r\n');
      await host.expect('=> ');
      assert.deepEqual(device.memory.read(address, data.length), data);
      assert.deepEqual(device.memory.read(address + data.length, 1), Buffer.of(0xff)); // truncated, no padding
      assert.equal(device.summary().transfers[0]!.address, address);
      await host.write('version\r');
      await host.expect('U-Boot 2024.01');
    } finally {
      await done();
    }
  });
}

test('loady checks CRCs (NAK) and the console comes back after a cancel', async () => {
  const { host, done } = await start();
  try {
    await host.write('loady\r');
    await host.expectNext([...Buffer.from('loady\r\n')]);
    await host.expect('bps...\r\n');
    await host.expectNext([CRC_REQUEST]);
    await host.write(encodeHeaderBlock({ name: 'x', size: 200 }));
    await host.expectNext([ACK]);
    const bad = encodeBlock(1, testData(128), 128);
    bad[7] ^= 1;
    await host.write(bad);
    await host.expectNext([NAK]);
    await host.write(Buffer.of(CAN, CAN));
    await host.expect('Cancelled\r\n');
    await host.expect('=> ');
    await host.write('\r');
    await host.expect('=> ');
  } finally {
    await done();
  }
});
