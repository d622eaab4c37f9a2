/**
 * Particle and Spark Core targets end to end through the CLI, against virtual devices behind
 * serialport's real stream layer (in-process binding).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { startVirtualPort } from '../../src/emulator/index.js';
import type { ParticleDevice } from '../../src/emulator/particle-device.js';
import type { SparkCoreDevice } from '../../src/emulator/spark-core-device.js';
import { fixture } from '../helpers/cli.js';
import { runMain } from '../helpers/in-process-cli.js';

/** Device timings at 2% of the real ones: a 5 s byte timeout becomes 100 ms. */
const TIME_SCALE = 0.02;

test('a Photon running its application gets `serial-flash PORT user.bin` with no other flag and installs it intact', async () => {
  const port = startVirtualPort('photon', { timeScale: TIME_SCALE, noise: 0.05 });
  try {
    const image = readFileSync(fixture('photon-user-part.bin'));
    const run = await runMain([port.path, fixture('photon-user-part.bin')], port.binding);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Flashed \d+ bytes to \/dev\/virtual-photon at 0x080A0000 \(particle\)/);
    assert.match(run.stdout, /Downloaded file successfully!/);
    const record = port.device.lastTransfer;
    assert.equal(record?.status, 'accepted');
    assert.equal(record?.installedAt, 0x080a0000);
    const photon = port.device as ParticleDevice;
    assert.ok(photon.flash.read(0x080a0000, image.length).equals(image), 'the user part holds the image byte for byte');
  } finally {
    port.close();
  }
});

test('the Photon prompt split across reads and application logs before it do not confuse the entry', async () => {
  const port = startVirtualPort('photon', { timeScale: TIME_SCALE, noise: 0.01, bytesPerSecond: 20_000 });
  try {
    const run = await runMain([port.path, fixture('photon-user-part.bin'), '--verbose'], port.binding);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /sending 'f'/);
    assert.equal(port.device.lastTransfer?.status, 'accepted');
  } finally {
    port.close();
  }
});

test('an Electron image sent to a Photon is refused before the device is touched', async () => {
  const port = startVirtualPort('photon', { timeScale: TIME_SCALE });
  try {
    const run = await runMain([port.path, fixture('electron-user-part.bin')], port.binding);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /is for an Electron \(platform 10\) but the device is a Photon \(platform 6\)/);
    assert.equal(port.device.lastTransfer, undefined);
    assert.equal(port.device.mode, 'application', 'the device was never put in listening mode');
  } finally {
    port.close();
  }
});

test('a validation failure on the device is reported in its own words, exit 1', async () => {
  const port = startVirtualPort('photon', { timeScale: TIME_SCALE });
  try {
    const run = await runMain([port.path, fixture('photon-user-part-bad-crc.bin'), '--force'], port.binding);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /rejected it \("Validation failed: \S+"\)/);
  } finally {
    port.close();
  }
});

test('Device OS 6.x (in listening mode: 28800 no longer enters it) refuses serial updates: the user is told to use DFU', async () => {
  const port = startVirtualPort('photon', { timeScale: TIME_SCALE, firmwareVersion: '6.x', listening: true });
  try {
    const run = await runMain([port.path, fixture('photon-user-part.bin')], port.binding);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /Device OS 6 or later.*DFU/);
  } finally {
    port.close();
  }
});

test('updates disabled: the misleading size message is explained', async () => {
  const port = startVirtualPort('photon', { timeScale: TIME_SCALE, updatesDisabled: true });
  try {
    const run = await runMain([port.path, fixture('photon-user-part.bin')], port.binding);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /firmware updates are disabled/);
  } finally {
    port.close();
  }
});

test('a Core image lands at 0x08005000 through the silent 28800 receiver', async () => {
  const port = startVirtualPort('core', { timeScale: TIME_SCALE });
  try {
    const image = readFileSync(fixture('core-app-0x08005000.bin'));
    const run = await runMain([port.path, fixture('core-app-0x08005000.bin')], port.binding);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(port.device.lastTransfer?.installedAt, 0x08005000);
    const core = port.device as SparkCoreDevice;
    assert.ok(core.flash.read(0x08005000, image.length).equals(image));
  } finally {
    port.close();
  }
});

test('an image linked for 0x0800A000 is refused with exit 2 before the Core is touched', async () => {
  const port = startVirtualPort('core', { timeScale: TIME_SCALE });
  try {
    const run = await runMain([port.path, fixture('core-app-0x0800A000.bin')], port.binding);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /linked for 0x0800A000/);
    assert.equal(port.device.lastTransfer, undefined);
  } finally {
    port.close();
  }
});

test('an address in the device keys is refused unless --force', async () => {
  const port = startVirtualPort('photon', { timeScale: TIME_SCALE });
  try {
    const run = await runMain([port.path, fixture('photon-user-part.bin'), '--address', '0x08004000'], port.binding);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /would overwrite the device keys/);
  } finally {
    port.close();
  }
});

test('--dry-run shows the plan and why, and sends nothing', async () => {
  const port = startVirtualPort('photon', { timeScale: TIME_SCALE });
  try {
    const run = await runMain([port.path, fixture('photon-user-part.bin'), '--dry-run'], port.binding);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Target: +particle — Photon \(the port is a Photon \(USB 2b04:c006\)\)/);
    assert.match(run.stdout, /Address: 0x080A0000/);
    assert.match(run.stdout, /nothing was sent/);
    assert.equal(port.device.mode, 'application');
  } finally {
    port.close();
  }
});

test('U-Boot: --target uboot --address 0x81000000 stores the file at 0x81000000', async () => {
  const port = startVirtualPort('uboot', { timeScale: TIME_SCALE });
  try {
    const image = readFileSync(fixture('core-app-0x08005000.bin'));
    const run = await runMain([port.path, fixture('core-app-0x08005000.bin'), '-t', 'uboot', '-a', '0x81000000'], port.binding);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /## Total Size\s*=\s*0x[0-9a-f]+ = \d+ Bytes/i);
    assert.equal(port.device.lastTransfer?.address, 0x81000000);
    assert.equal(port.device.lastTransfer?.sha256, (await import('node:crypto')).createHash('sha256').update(image).digest('hex'));
  } finally {
    port.close();
  }
});
