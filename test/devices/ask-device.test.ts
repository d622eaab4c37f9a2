/**
 * Asking the device who it is before sending, where the port cannot say (raw TCP here):
 * `s` lists its platform and modules; an image for another platform, or a user part whose
 * dependencies the device's system firmware does not meet, is refused before a byte of it
 * is sent. The device leaves listening mode ('x') only where serial-flash put it there.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import crc32 from 'crc/calculators/crc32';
import { createVirtualDevice, type VirtualDeviceOptions } from '../../src/emulator/index.js';
import { TcpHost } from '../../src/emulator/tcp-host.js';
import { VirtualBinding } from '../../src/emulator/virtual-binding.js';
import { parseModuleList } from '../../src/devices/particle/device-modules.js';
import { fixture } from '../helpers/cli.js';
import { runMain } from '../helpers/in-process-cli.js';

const TIME_SCALE = 0.05;

async function overTcp(profile: string, options: VirtualDeviceOptions, run: (url: string, device: ReturnType<typeof createVirtualDevice>['device']) => Promise<void>): Promise<void> {
  const { device, wire } = createVirtualDevice(profile, { timeScale: TIME_SCALE, listening: true, ...options });
  const host = await TcpHost.listen(wire, { device });
  try {
    await run(host.url, device);
  } finally {
    device.dispose();
    await host.close();
  }
}

/** The Photon fixture with its dependency on system part 2 raised to `version`, CRC recomputed. */
function photonUserPartNeeding(version: number, dir: string): string {
  const image = Buffer.from(readFileSync(fixture('photon-user-part.bin')));
  image.writeUInt16LE(version, 0x12);
  const body = image.length - 4;
  image.writeUInt32BE(crc32(image.subarray(0, body)) >>> 0, body);
  const path = join(dir, `user-part-needs-${version}.bin`);
  writeFileSync(path, image);
  return path;
}

test('the emulated Photon answers `s` as Device OS prints it: platform, bootloader, system parts, user part slot', async () => {
  await overTcp('photon', { systemVersion: '1.5.2' }, async (_url, device) => {
    const line = (device as unknown as { identity: { moduleList(): string } }).identity.moduleList();
    assert.match(line, /^\{"p":6,"m":\[\{"s":16384,"l":"m","vc":30,"vv":30,"f":"b","n":"0","v":\d+,"d":\[\]\},\{"s":262144,"l":"m","vc":30,"vv":30,"f":"s","n":"1","v":1502,"d":\[\]\},\{"s":262144,"l":"m","vc":30,"vv":30,"f":"s","n":"2","v":1502,"d":\[\{"f":"s","n":"1","v":1502,"_":""\}\]\},\{"s":131072,"l":"m","vc":0,"vv":0,"d":\[\]\}\]\}$/);
    const parsed = parseModuleList(`${line}\r\n`);
    assert.equal(parsed?.platformId, 6);
    assert.deepEqual(parsed?.modules.map((m) => [m.moduleFunction, m.index, m.version, m.valid]), [[2, 0, 101, true], [4, 1, 1502, true], [4, 2, 1502, true]]);
  });
});

test('an Electron image sent to a Photon over tcp:// is refused after asking the device, nothing of it sent, and the device stays listening', async () => {
  await overTcp('photon', {}, async (url, device) => {
    const run = await runMain([url, fixture('electron-user-part.bin'), '--verbose']);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /electron-user-part\.bin is for an Electron \(platform 10\) but the device says it is a Photon \(platform 6\)/);
    assert.match(run.stdout, /the device says it is a Photon \(platform 6\) with bootloader version 101, system part 1 version 1502, system part 2 version 1502/);
    assert.equal(device.lastTransfer, undefined, 'no transfer began');
    // Found in listening mode behind a bridge that cannot pass the 28800 signal: an 'x' would
    // leave the user holding MODE again. The next command finds it still listening.
    const info = await runMain(['info', url, '--json']);
    assert.equal(info.code, 0, info.stderr);
    assert.equal(device.mode, 'listening');
    const again = await runMain([url, fixture('photon-user-part.bin')]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((device.lastTransfer as { status: string } | undefined)?.status, 'accepted');
  });
});

test('--force past what the device said: a warning on stderr, even with --quiet, before the image is sent; the result records it', async () => {
  await overTcp('photon', {}, async (url) => {
    const run = await runMain([url, fixture('electron-user-part.bin'), '--force', '--quiet']);
    const warnings = run.stderr.split('\n').filter((line) => line.includes('warning'));
    assert.equal(warnings.length, 1, run.stderr);
    assert.match(warnings[0]!, /^serial-flash: warning: sending electron-user-part\.bin although the device's answer refuses it \(--force\): electron-user-part\.bin is for an Electron \(platform 10\) but the device says it is a Photon \(platform 6\)\.$/);
  });
  await overTcp('photon', {}, async (url) => {
    const run = await runMain([url, fixture('electron-user-part.bin'), '--force', '--json']);
    // The Photon takes the Electron's image and refuses it itself; the failure says what was forced.
    assert.equal(run.code, 1, run.stderr);
    const result = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; forced?: { message: string }[] }).find((line) => line.type === 'result');
    assert.match(result?.forced?.[0]?.message ?? '', /but the device says it is a Photon \(platform 6\)/, run.stdout);
  });
});

test('a refused image on a port that carries the 28800 signal but names no device: serial-flash put the device in listening mode, so it takes it out', async () => {
  // A USB-serial adapter's id (FTDI): the line rate reaches the device, the port says nothing of it.
  const { device, wire } = createVirtualDevice('photon', { timeScale: TIME_SCALE });
  const binding = new VirtualBinding();
  binding.add('/dev/virtual-adapter', wire, { vendorId: '0403', productId: '6001' });
  try {
    assert.equal(device.mode, 'application');
    const run = await runMain(['/dev/virtual-adapter', fixture('electron-user-part.bin'), '-t', 'particle'], binding);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /but the device says it is a Photon/);
    assert.equal(device.mode, 'application', "the device was told to leave listening mode ('x')");
  } finally {
    device.dispose();
    binding.remove('/dev/virtual-adapter');
  }
});

test('a Photon user part sent to a Spark Core over tcp:// is refused: the Core says it is platform 0', async () => {
  await overTcp('core', {}, async (url, device) => {
    const run = await runMain([url, fixture('photon-user-part.bin')]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /photon-user-part\.bin is for a Photon \(platform 6\) but the device says it is a Spark Core \(platform 0\)/);
    assert.equal(device.lastTransfer, undefined);
  });
});

test('a user part whose dependency the device does not meet is refused, saying what to flash first', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'serial-flash-deps-'));
  try {
    const image = photonUserPartNeeding(1406, dir);
    await overTcp('photon', { systemVersion: '1.2.1' }, async (url, device) => {
      const run = await runMain([url, image, '--json']);
      assert.equal(run.code, 2, run.stderr);
      const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { code: string; message: string; bytes: number };
      assert.equal(result.code, 'IMAGE_REFUSED_DEPENDENCIES');
      assert.equal(result.bytes, 0);
      assert.match(result.message, /needs system part 2 version 1406 or later and the device has version 1201; flash system part 2 \(version 1406 or later\) first, then this user part\./);
      assert.equal(device.lastTransfer, undefined);
    });
    // The same device on a release that meets it takes the image.
    await overTcp('photon', { systemVersion: '1.4.6' }, async (url, device) => {
      const run = await runMain([url, image]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(device.lastTransfer?.status, 'accepted');
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
