/**
 * Receiver dialects as the sender meets them: the emulated U-Boot sends no `C` after the
 * header's ACK (as the real one does), so a sender that waited for one would stall there.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startVirtualPort } from '../../src/emulator/index.js';
import { flash } from '../../src/flash/flash.js';
import type { UBootDevice } from '../../src/emulator/uboot-device.js';
import type { YmodemDevice } from '../../src/emulator/ymodem-device.js';
import { testData } from '../helpers/virtual-link.js';

const work = mkdtempSync(join(tmpdir(), 'serial-flash-dialect-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('into U-Boot, block 1 follows the header ACK at once: no wait for a C it never sends', async () => {
  // The device's own timeouts are stretched so that only the sender could end a wait; the
  // flash is cancelled long before the 60 s answer timeout it would otherwise sit out.
  const port = startVirtualPort('uboot', { timeScale: 20 });
  const file = join(work, 'kernel.bin');
  const data = testData(5000, 3);
  writeFileSync(file, data);
  try {
    const outcome = await flash({
      file,
      port: port.path,
      target: 'uboot',
      address: 0x82000000,
      binding: port.binding,
      responseTimeoutMs: 60_000,
      signal: AbortSignal.timeout(20_000),
    });
    assert.equal(outcome.ok, true);
    assert.deepEqual((port.device as UBootDevice).memory.read(0x82000000, data.length), data);
  } finally {
    port.close();
  }
});

for (const fullLastBlock of [false, true]) {
  test(`1K blocks, the rest fits in 128 bytes: the last block is ${fullLastBlock ? '1K too (fullLastBlock, for ST SBSFU)' : 'a short 128-byte one'}`, async () => {
    const port = startVirtualPort('ymodem');
    const file = join(work, `image-${fullLastBlock}.bin`);
    const data = testData(2048 + 100, 5);
    writeFileSync(file, data);
    const sizes: number[] = [];
    port.device.on('block', (block: { size: number }) => sizes.push(block.size));
    try {
      await flash({ file, port: port.path, target: 'ymodem', binding: port.binding, dialect: { fullLastBlock } });
      assert.deepEqual(sizes, fullLastBlock ? [1024, 1024, 1024] : [1024, 1024, 128]);
      assert.deepEqual((port.device as YmodemDevice).files[0]!.data, data);
    } finally {
      port.close();
    }
  });
}

test('a boot ROM that asks with NAK many times before the transfer: XMODEM after 15 requests in a row, padding kept', async () => {
  // The ROM asks every 100 ms here; only the start timeout bounds the wait, not a count.
  const port = startVirtualPort('bootrom', { timeScale: 0.1 });
  const file = join(work, 'rom-image.bin');
  const data = testData(1000, 11);
  writeFileSync(file, data);
  try {
    const outcome = await flash({ file, port: port.path, target: 'ymodem', protocol: 'xmodem', binding: port.binding, dialect: { startRequests: 15 } });
    assert.equal(outcome.ok, true);
    const received = (port.device as YmodemDevice).files[0]!.data;
    assert.equal(received.length, 1024, 'eight 128-byte blocks');
    assert.deepEqual(received.subarray(0, data.length), data);
    assert.ok(received.subarray(data.length).every((byte) => byte === 0x1a), 'padded with SUB');
  } finally {
    port.close();
  }
});
