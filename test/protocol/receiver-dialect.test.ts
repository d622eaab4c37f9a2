/**
 * Receiver dialects as the sender meets them: the emulated U-Boot sends no `C` after the
 * header's ACK (as the real one does), so a sender that waited for one would stall there.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startVirtualPort, type VirtualPortHandle } from '../../src/emulator/index.js';
import { flash } from '../../src/flash/flash.js';
import type { UBootDevice } from '../../src/emulator/uboot-device.js';
import { ACK, SOH, STX } from '../../src/protocol/control-bytes.js';
import type { YmodemDevice } from '../../src/emulator/ymodem-device.js';
import { testData } from '../helpers/virtual-link.js';
import { runMain } from '../helpers/in-process-cli.js';

const work = mkdtempSync(join(tmpdir(), 'serial-flash-dialect-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('into U-Boot, block 1 follows the header ACK at once: no wait for a C it never sends', async () => {
  // U-Boot sends a C after the header's ACK only when block 1 has not come within its own
  // block wait (4.25 s): a sender that waited for that C would see one before block 1.
  const port = startVirtualPort('uboot');
  const data = testData(5000, 3);
  try {
    const wire = await flashIntoUBoot(port, 'kernel.bin', data);
    assert.deepEqual((port.device as UBootDevice).memory.read(UBOOT_ADDRESS, data.length), data);
    const header = wire.findIndex((chunk) => chunk.direction === 'tx' && chunk.data[0] === SOH && chunk.data[1] === 0);
    const block1 = wire.findIndex((chunk) => chunk.direction === 'tx' && chunk.data[0] === STX && chunk.data[1] === 1);
    const between = Buffer.concat(wire.slice(header + 1, block1).filter((chunk) => chunk.direction === 'rx').map((chunk) => chunk.data));
    assert.deepEqual([...between], [ACK], 'only the ACK came between the header and block 1');
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

/** A 1000-byte file and an emulated boot ROM (XMODEM only, asking every 100 ms), closed after `use`. */
async function withBootRom(name: string, seed: number, use: (rom: { port: VirtualPortHandle; file: string; data: Buffer }) => Promise<void>): Promise<void> {
  const port = startVirtualPort('bootrom', { timeScale: 0.1 });
  const file = join(work, name);
  const data = testData(1000, seed);
  writeFileSync(file, data);
  try {
    await use({ port, file, data });
  } finally {
    port.close();
  }
}

test('a boot ROM that asks with NAK many times before the transfer: XMODEM after 15 requests in a row, padding kept', async () => {
  // The ROM asks every 100 ms here; only the start timeout bounds the wait, not a count.
  await withBootRom('rom-image.bin', 11, async ({ port, file, data }) => {
    const outcome = await flash({ file, port: port.path, target: 'ymodem', protocol: 'xmodem', binding: port.binding, dialect: { startRequests: 15 } });
    assert.equal(outcome.ok, true);
    const received = (port.device as YmodemDevice).files[0]!.data;
    assert.equal(received.length, 1024, 'eight 128-byte blocks');
    assert.deepEqual(received.subarray(0, data.length), data);
    assert.ok(received.subarray(data.length).every((byte) => byte === 0x1a), 'padded with SUB');
  });
});

test('a boot ROM sent YMODEM refuses the header block: the failure says to add --protocol xmodem, and nothing was stored', async () => {
  await withBootRom('rom-ymodem.bin', 12, async ({ port, file }) => {
    await assert.rejects(flash({ file, port: port.path, target: 'ymodem', binding: port.binding }), (error: Error & { code?: string }) => {
      assert.match(error.message, /^At the file's header block, the receiver .*; an XMODEM receiver .* add --protocol xmodem\.$/);
      assert.equal(error.code, 'RECEIVER_CANCELLED');
      return true;
    });
    assert.equal((port.device as YmodemDevice).files.length, 0);
  });
});

test('the success line names the protocol when it is not YMODEM: "(ymodem, XMODEM)", not "(ymodem)" alone', async () => {
  await withBootRom('rom-xmodem.bin', 14, async ({ port, file }) => {
    const run = await runMain([port.path, file, '-t', 'ymodem', '--protocol', 'xmodem'], port.binding);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /✔ Flashed 1000 bytes to \S+ \(ymodem, XMODEM\)\./);
  });
});

test("U-Boot answers the first EOT with ACK ACK C: the closing block waits for the C, and goes once, even on a slow line", async () => {
  // At 9600 baud (paced here; the console's rate stays) the closing block takes 139 ms on the
  // wire, so U-Boot's ACK for it comes long after its C: a C still unread then looked like a
  // request and the block went twice, the second copy typed into U-Boot's console.
  const port = startVirtualPort('uboot', { bytesPerSecond: 960 });
  try {
    const chunks = await flashIntoUBoot(port, 'slow-line.bin', testData(300, 13));
    const wire = Buffer.concat(chunks.filter((chunk) => chunk.direction === 'tx').map((chunk) => chunk.data));
    const closing = Buffer.concat([Buffer.of(0x01, 0x00, 0xff), Buffer.alloc(128)]);
    assert.equal(countOf(wire, closing), 1, 'one closing block');
  } finally {
    port.close();
  }
});

const UBOOT_ADDRESS = 0x82000000;

/** Flashes `data` into the emulated U-Boot behind `port`; returns every chunk on the wire. */
async function flashIntoUBoot(port: ReturnType<typeof startVirtualPort>, name: string, data: Buffer) {
  const file = join(work, name);
  writeFileSync(file, data);
  const wire: { direction: string; data: Buffer }[] = [];
  const outcome = await flash({
    file,
    port: port.path,
    target: 'uboot',
    address: UBOOT_ADDRESS,
    binding: port.binding,
    trace: true,
    verify: false,
    onEvent: (event) => {
      if (event.type === 'trace') wire.push({ direction: event.direction, data: event.data });
    },
  });
  assert.equal(outcome.ok, true);
  return wire;
}

function countOf(haystack: Buffer, needle: Buffer): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) count++;
  return count;
}
