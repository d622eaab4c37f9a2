/**
 * U-Boot found already in `loady` (typed by hand, or left by another program): its lone `C`
 * requests are no prompt problem. serial-flash cancels that receiver (CAN CAN CAN), says so,
 * waits for the prompt and runs its own loady, so the file lands where the user asked — on
 * a real U-Boot under QEMU and on the emulated one.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import crc32 from 'crc/calculators/crc32';
import { startVirtualPort } from '../../src/emulator/index.js';
import type { UBootDevice } from '../../src/emulator/uboot-device.js';
import { runCli } from '../helpers/cli.js';
import { runMain } from '../helpers/in-process-cli.js';
import { testData } from '../helpers/test-data.js';
import { LOAD_ADDRESS, type RealUBoot, realUBootMissing, startRealUBoot } from '../helpers/uboot-console.js';

const hex = (n: number) => n.toString(16);
const hex8 = (n: number) => hex(n >>> 0).padStart(8, '0');
const CANCELLING_STEP = /a receiver is already waiting for a file \(a load typed earlier\): cancelling it with CAN CAN CAN/;

describe('a real U-Boot (QEMU) already waiting in loady', { skip: realUBootMissing() }, () => {
  let uboot: RealUBoot | undefined;
  let dir = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'serial-flash-waiting-loady-'));
    uboot = await startRealUBoot();
  });
  after(async () => {
    await uboot?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('is cancelled, and the file lands at the address asked for, verified', async () => {
    const data = testData(5000, 31);
    const file = join(dir, 'small.bin');
    writeFileSync(file, data);
    const elsewhere = LOAD_ADDRESS + 0x400000;
    const console = await uboot!.open();
    try {
      await console.sync();
      await console.write(`loady ${hex(elsewhere)}\r`);
      await console.expect('bps...\r\n');
    } finally {
      await console.close();
    }
    const run = await runCli([uboot!.path, file, '-t', 'uboot', '-a', `0x${hex(LOAD_ADDRESS)}`, '--verbose'], { timeoutMs: 60_000 });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, CANCELLING_STEP);
    assert.match(run.stdout, new RegExp(`verified: the device's "crc32 ${hex(LOAD_ADDRESS)} ${hex(data.length)}" gives ${hex8(crc32(data))}`));

    const check = await uboot!.open();
    try {
      await check.sync();
      assert.equal(await check.command(`crc32 ${hex(LOAD_ADDRESS)} ${hex(data.length)}`), `crc32 for ${hex8(LOAD_ADDRESS)} ... ${hex8(LOAD_ADDRESS + data.length - 1)} ==> ${hex8(crc32(data))}\r\n`);
      assert.equal(await check.command('printenv filesize'), `filesize=${hex(data.length)}\r\n`);
    } finally {
      await check.close();
    }
  });
});

test('the emulated U-Boot already waiting in loady is cancelled the same way, and the file lands where asked', async () => {
  const port = startVirtualPort('uboot', { timeScale: 0.2 });
  const dir = mkdtempSync(join(tmpdir(), 'serial-flash-waiting-loady-'));
  try {
    const board = port.device as UBootDevice;
    const address = 0x81000000;
    const data = testData(5000, 32);
    const file = join(dir, 'small.bin');
    writeFileSync(file, data);
    // The user typed a load at another address and left it waiting.
    board.onHostData(Buffer.from('loady 82000000\r'));
    const run = await runMain([port.path, file, '-t', 'uboot', '-a', `0x${hex(address)}`, '--verbose'], port.binding);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, CANCELLING_STEP);
    assert.match(run.stdout, /device: Cancelled/);
    assert.ok(board.memory.read(address, data.length).equals(data), 'the file is where the user asked');
    assert.match(run.stdout, /verified: the device's "crc32 81000000 1388"/);
  } finally {
    port.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
