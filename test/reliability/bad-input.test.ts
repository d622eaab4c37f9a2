/**
 * The bad-input catalogue (README "What can go wrong" is built from it): each bad input with
 * its exit code and message, one sentence and no stack trace, refused before the device is
 * touched — the virtual device behind the port sees no open, no byte, no line-coding change.
 */
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SerialPortStream } from '@serialport/stream';
import { startVirtualPort } from '../../src/emulator/index.js';
import { fixture } from '../helpers/cli.js';
import { runMain } from '../helpers/in-process-cli.js';
import { ptyPair, SOCAT, skipUnless } from '../helpers/system-tools.js';
import { DeviceView } from './observe.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir('bad-input');
const data = join(dir, 'app.bin');
writeFileSync(data, Buffer.alloc(3000, 0x5a));
const unreadable = join(dir, 'unreadable.bin');
writeFileSync(unreadable, Buffer.alloc(100, 1));
chmodSync(unreadable, 0o000);
const notSerial = join(dir, 'notes.txt');
writeFileSync(notSerial, 'not a serial port\n');
const asRoot = process.getuid?.() === 0;
const ROOT_SKIP = 'running as root, which may read and open anything: permissions cannot be refused here';

/** `PORT` in argv is replaced by the virtual device's path. */
interface BadInput {
  name: string;
  device?: string;
  argv: string[];
  exit: number;
  message: RegExp;
  skip?: string | false;
}

const CATALOGUE: BadInput[] = [
  { name: 'no arguments at all', device: 'photon', argv: [], exit: 2, message: /^Name the firmware file to flash, e\.g\. serial-flash \/dev\/ttyACM0 firmware\.bin/ },
  { name: 'missing file', device: 'photon', argv: ['PORT', join(dir, 'missing.bin')], exit: 2, message: /^Firmware file .*missing\.bin does not exist; check the path\.$/ },
  { name: 'empty file', device: 'photon', argv: ['PORT', fixture('empty.bin')], exit: 2, message: /^empty\.bin is empty \(0 bytes\) — did the build fail\? Nothing was sent\.$/ },
  { name: 'a directory', device: 'photon', argv: ['PORT', dir], exit: 2, message: /is a directory, not a firmware file; give the path of the \.bin file\.$/ },
  { name: 'unreadable file', device: 'photon', argv: ['PORT', unreadable], exit: 2, message: /^Permission denied reading unreadable\.bin; check the file's permissions/, skip: asRoot && ROOT_SKIP },
  { name: 'oversized image (Core)', device: 'core', argv: ['PORT', fixture('core-app-oversized.bin')], exit: 2, message: /is 114688 bytes but the Spark Core application area holds at most 110592 bytes/ },
  { name: 'image for another device (Electron image, Photon port)', device: 'photon', argv: ['PORT', fixture('electron-user-part.bin')], exit: 2, message: /is for an Electron \(platform 10\) but the device is a Photon \(platform 6\)/ },
  { name: 'image linked for another address (Core)', device: 'core', argv: ['PORT', fixture('core-app-0x0800A000.bin')], exit: 2, message: /is linked for 0x0800A000 .* rebuild it for 0x08005000\.$/ },
  { name: 'malformed address', device: 'uboot', argv: ['PORT', data, '-t', 'uboot', '-a', '12xyz'], exit: 2, message: /^Address "12xyz" is not a valid address; use hex with 0x/ },
  { name: 'negative address', device: 'uboot', argv: ['PORT', data, '-t', 'uboot', '-a', '-5'], exit: 2, message: /^Address "-5" is negative/ },
  { name: 'address wider than 32 bits', device: 'uboot', argv: ['PORT', data, '-t', 'uboot', '-a', '0x1FFFFFFFF'], exit: 2, message: /is larger than 32 bits/ },
  { name: 'image running past 4 GB', device: 'uboot', argv: ['PORT', data, '-t', 'uboot', '-a', '0xFFFFFF00'], exit: 2, message: /^3000 bytes at 0xFFFFFF00 would run past the end of the 32-bit address space/ },
  { name: 'misaligned address (U-Boot)', device: 'uboot', argv: ['PORT', data, '-t', 'uboot', '-a', '0x81000002'], exit: 2, message: /^0x81000002 is not word-aligned .*did you mean 0x81000000\?\)\.$/ },
  { name: 'misaligned address (plain YMODEM)', device: 'ymodem', argv: ['PORT', data, '-t', 'ymodem', '-a', '0x08004001'], exit: 2, message: /^0x08004001 is not word-aligned/ },
  { name: 'address other than the module header says (Photon)', device: 'photon', argv: ['PORT', fixture('photon-user-part.bin'), '-a', '0x080A0001'], exit: 2, message: /is built for 0x080A0000 \(its module header says so\) but 0x080A0001 was requested/ },
  { name: 'address other than 0x08005000 (Core)', device: 'core', argv: ['PORT', fixture('core-app-0x08005000.bin'), '-a', '0x08005004'], exit: 2, message: /installs serial images only at 0x08005000 .* not 0x08005004; use 0x08005000\.$/ },
  { name: 'address in the device keys (Photon)', device: 'photon', argv: ['PORT', fixture('photon-user-part.bin'), '-a', '0x08004000'], exit: 2, message: /^0x08004000 would overwrite the device keys/ },
  { name: 'address in the bootloader (Core)', device: 'core', argv: ['PORT', fixture('core-app-0x08005000.bin'), '-a', '0x08000000'], exit: 2, message: /^0x08000000 would overwrite the bootloader/ },
  { name: 'address where an STM32 boots (plain YMODEM)', device: 'ymodem', argv: ['PORT', data, '-t', 'ymodem', '-a', '0x08000000'], exit: 2, message: /^0x08000000 is where the chip boots — the bootloader; use --force only if you mean it\.$/ },
  { name: 'trigger needing an address without one', device: 'ymodem', argv: ['PORT', data, '--trigger', 'flash {address}'], exit: 2, message: /uses \{address\}; give one with --address/ },
  { name: 'unknown target', device: 'ymodem', argv: ['PORT', data, '-t', 'esp32'], exit: 2, message: /^--target must be one of auto, particle, spark-core, core, ymodem, generic, uboot, not "esp32" \(see serial-flash --help\)\.$/ },
  { name: 'bad block size', device: 'ymodem', argv: ['PORT', data, '-t', 'ymodem', '--block-size', '512'], exit: 2, message: /^--block-size must be one of 128, 1024, not 512/ },
  { name: 'negative timeout', device: 'ymodem', argv: ['PORT', data, '-t', 'ymodem', '--timeout', '-1'], exit: 2, message: /^--timeout must be between 0\.001 s and 3600 s, not -1 s\.$/ },
  { name: 'absurd timeout', device: 'ymodem', argv: ['PORT', data, '-t', 'ymodem', '--timeout', '999999'], exit: 2, message: /^--timeout must be between .* not 999999 s\.$/ },
  { name: 'timeout that is not a number', device: 'ymodem', argv: ['PORT', data, '-t', 'ymodem', '--timeout', 'soon'], exit: 2, message: /^--timeout takes a number of seconds/ },
  { name: 'negative start timeout', device: 'ymodem', argv: ['PORT', data, '-t', 'ymodem', '--start-timeout', '-3'], exit: 2, message: /^--start-timeout must be between 0 s and 3600 s/ },
  { name: 'negative retries', device: 'ymodem', argv: ['PORT', data, '-t', 'ymodem', '--retries', '-1'], exit: 2, message: /^--retries must be between 0 and 100, not -1\.$/ },
  { name: 'absurd retries', device: 'ymodem', argv: ['PORT', data, '-t', 'ymodem', '--retries', '1000'], exit: 2, message: /^--retries must be between 0 and 100, not 1000\.$/ },
  { name: 'fractional retries', device: 'ymodem', argv: ['PORT', data, '-t', 'ymodem', '--retries', '2.5'], exit: 2, message: /^--retries must be between 0 and 100, not 2\.5\.$/ },
  { name: 'baud rate that is not a number', device: 'ymodem', argv: ['PORT', data, '-t', 'ymodem', '--baud', 'fast'], exit: 2, message: /^--baud takes a number between 50 and 12000000\.$/ },
  { name: 'negative --wait', device: 'ymodem', argv: ['PORT', data, '-t', 'ymodem', '--wait', '-5'], exit: 2, message: /^--wait must be between 0 s and 3600 s/ },
  { name: 'unknown option', device: 'ymodem', argv: ['PORT', data, '--frobnicate'], exit: 2, message: /^Unknown argument: frobnicate \(see serial-flash --help\)\.$/ },
  { name: 'nonexistent port', device: 'ymodem', argv: ['/dev/ttyNOPE7', data, '-t', 'ymodem'], exit: 3, message: /^\/dev\/ttyNOPE7 does not exist; ports found: \/dev\/virtual-ymodem\.$/ },
  { name: 'a port path that is /dev/null', argv: ['/dev/null', data, '-t', 'ymodem'], exit: 3, message: /^\/dev\/null is not a serial port/ },
  { name: 'a port path that is a regular file', argv: [notSerial, data, '-t', 'ymodem'], exit: 3, message: /notes\.txt is not a serial port \(it is a regular file\)/ },
];

/** The error line: exactly one, one sentence, no stack trace. */
function errorLine(stderr: string): string {
  assert.doesNotMatch(stderr, /\n\s+at |Error: /, `no stack trace:\n${stderr}`);
  const lines = stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `one line on stderr:\n${stderr}`);
  assert.match(lines[0]!, /^serial-flash: /);
  return lines[0]!.slice('serial-flash: '.length);
}

for (const bad of CATALOGUE) {
  test(`bad input: ${bad.name} → exit ${bad.exit}, the device untouched`, { skip: bad.skip }, async () => {
    const port = bad.device ? startVirtualPort(bad.device, { timeScale: 0.05 }) : undefined;
    const view = port && new DeviceView(port.device);
    try {
      const run = await runMain(bad.argv.map((arg) => (arg === 'PORT' ? port!.path : arg)), port?.binding);
      assert.equal(run.code, bad.exit, run.stderr);
      assert.match(errorLine(run.stderr), bad.message);
      assert.equal(run.stdout, '', 'nothing but the error');
      if (view) {
        assert.equal(view.hostOpens, 0, 'the port was never opened');
        assert.equal(view.hostBytes().length, 0, 'no byte was sent');
        assert.deepEqual(view.lineCodings, [], 'no line-coding change');
      }
    } finally {
      port?.close();
    }
  });
}

test('bad input: a port another program holds → exit 3, and the device hears nothing from serial-flash', async () => {
  const port = startVirtualPort('ymodem', { timeScale: 0.05 });
  const other = new SerialPortStream({ binding: port.binding, path: port.path, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => other.open((error) => (error ? reject(error) : resolve())));
  const view = new DeviceView(port.device);
  try {
    const run = await runMain([port.path, data, '-t', 'ymodem'], port.binding);
    assert.equal(run.code, 3, run.stderr);
    assert.match(errorLine(run.stderr), /^\/dev\/virtual-ymodem is in use by another program .*; close it and try again\.$/);
    assert.equal(view.hostOpens, 0);
    assert.equal(view.hostBytes().length, 0);
    assert.deepEqual(view.lineCodings, []);
  } finally {
    await new Promise<void>((resolve) => other.close(() => resolve()));
    port.close();
  }
});

test('bad input: a serial port without permission → exit 3 with what to do', { skip: (asRoot && ROOT_SKIP) || skipUnless(SOCAT) }, async () => {
  const pty = await ptyPair();
  try {
    chmodSync(pty.a, 0o000);
    const run = await runMain([pty.a, data, '-t', 'ymodem']);
    assert.equal(run.code, 3, run.stderr);
    assert.match(errorLine(run.stderr), /permission/i);
  } finally {
    await pty.close();
  }
});
