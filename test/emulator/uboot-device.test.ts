import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startVirtualPort } from '../../src/emulator/index.js';
import type { UBootDevice } from '../../src/emulator/uboot-device.js';
import { encodeBlock, encodeEndOfBatchBlock, encodeHeaderBlock } from '../../src/protocol/blocks.js';
import { ACK, CRC_REQUEST, EOT, NAK } from '../../src/protocol/control-bytes.js';
import { Host, testData } from './harness.js';

/**
 * U-Boot's receiver waits 2 s per character: at 0.05 of real time that is 100 ms, time enough
 * for this host to answer on a busy machine. The scenarios shared with the real U-Boot run at
 * full speed in test/uboot/uboot-agreement.test.ts.
 */
const SCALE = 0.05;

async function start() {
  const port = startVirtualPort('uboot', { timeScale: SCALE });
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
    await host.expect('U-Boot 2023.01');
    await host.expect('=> ');
    assert.equal(port.binding.has(port.path), true);
    assert.equal(host.closed, false);
  } finally {
    await done();
  }
});

test('after a reset the board counts down to autoboot: a key stops it and is eaten, the rest of the line is typed; RAM is kept', async () => {
  const { host, device, done } = await start();
  try {
    device.memory.write(0x81000000, Buffer.from('kept across the reset'));
    device.powerCycle();
    await host.expect('Hit any key to stop autoboot:  2 ');
    await host.write('xecho typed\r');
    await host.expect('\b\b\b 0 \r\n=> echo typed\r\ntyped\r\n=> ');
    assert.equal(device.memory.read(0x81000000, 21).toString(), 'kept across the reset');
  } finally {
    await done();
  }
});

test('a reset board nobody stops counts down, fails to boot by itself and ends at its prompt', async () => {
  const { host, device, done } = await start();
  try {
    device.powerCycle();
    await host.expect('Hit any key to stop autoboot:  2 \b\b\b 1 \b\b\b 0 \r\n');
    await host.expect('No ethernet found.\r\n=> ');
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

/** loady as U-Boot runs it: ACK alone after the header, ACK ACK C after EOT, ACK for the closing block. */
async function sendToUBoot(host: Host, data: Buffer): Promise<void> {
  await host.write(encodeHeaderBlock({ name: 'kernel.bin', size: data.length }));
  await host.expectNext([ACK]);
  for (let offset = 0, sequence = 1; offset < data.length; offset += 1024, sequence++) {
    await host.write(encodeBlock(sequence, data.subarray(offset, offset + 1024), 1024));
    await host.expectNext([ACK]);
  }
  await host.write(Buffer.of(EOT));
  await host.expectNext([ACK, ACK, CRC_REQUEST]);
  await host.write(encodeEndOfBatchBlock());
  await host.expectNext([ACK]);
}

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
      await sendToUBoot(host, data);
      await host.expect(`## Total Size      = 0x00001234 = 4660 Bytes\r\n## Start Addr      = 0x${address.toString(16).toUpperCase()}\r\n=> `);
      assert.deepEqual(device.memory.read(address, data.length), data);
      assert.deepEqual(device.memory.read(address + data.length, 1), Buffer.of(0xff)); // truncated, no padding
      assert.equal(device.summary().transfers[0]!.address, address);
    } finally {
      await done();
    }
  });
}

test('loady ADDR BAUD: the switch to BAUD on Enter, the load, the switch back on ESC; keys at the wrong rate are noise', async () => {
  const { host, device, done } = await start();
  try {
    const data = testData(3000, 3);
    await host.write('loady 82000000 921600\r');
    await host.expect('## Switch baudrate to 921600 bps and press ENTER ...\r\n');
    await host.expectSilence(100); // U-Boot changes its UART 50 ms after saying so
    await host.write('\r'); // still at 115200: lost
    await host.setBaudRate(921600);
    await host.expectSilence(100);
    await host.write('\r');
    await host.expect('## Ready for binary (ymodem) download to 0x82000000 at 921600 bps...\r\n');
    await host.expectNext([CRC_REQUEST]);
    await sendToUBoot(host, data);
    await host.expect('## Start Addr      = 0x82000000\r\n## Switch baudrate to 115200 bps and press ESC ...\r\n');
    await host.expectSilence(100);
    await host.write('\x1b'); // at 921600 still: lost
    await host.setBaudRate(115200);
    await host.expectSilence(100);
    await host.write('\x1b');
    await host.expectNext([...Buffer.from('=> ')]);
    assert.deepEqual(device.memory.read(0x82000000, data.length), data);
  } finally {
    await done();
  }
});

test('waiting for a sender: C ten times, then NAK (checksum mode), a checksum block is taken', async () => {
  const { host, device, done } = await start();
  try {
    await host.write('loady\r');
    await host.expect('bps...\r\n');
    await host.expectNext([...Buffer.alloc(10, CRC_REQUEST), NAK], 10_000);
    const data = testData(100, 5);
    await host.write(encodeHeaderBlock({ name: 'a.bin', size: data.length }, 'sum8'));
    await host.expectNext([ACK]);
    await host.write(encodeBlock(1, data, 128, 'sum8'));
    await host.expectNext([ACK]);
    await host.write(Buffer.of(EOT));
    await host.expectNext([ACK, ACK, NAK]);
    await host.write(encodeEndOfBatchBlock('sum8'));
    await host.expectNext([ACK]);
    await host.expect('## Total Size      = 0x00000064 = 100 Bytes\r\n');
    assert.deepEqual(device.memory.read(0x81000000, data.length), data);
  } finally {
    await done();
  }
});
