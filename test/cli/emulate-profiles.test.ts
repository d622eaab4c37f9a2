/**
 * Every virtual device profile, flashed end to end by the CLI twice: over the in-process
 * virtual port (serialport's stream layer, baud-rate signals reach the device) and over raw
 * TCP through the emulator's TCP host (no signals: Particle-family devices start listening).
 * The bytes the device stored are read back and compared with the file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { crc32 } from 'crc';
import { createVirtualDevice, startVirtualPort, type VirtualDeviceOptions } from '../../src/emulator/index.js';
import { receivedImage } from '../../src/emulator/received-image.js';
import { TcpHost } from '../../src/emulator/tcp-host.js';
import { fixture } from '../helpers/cli.js';
import { runMain } from '../helpers/in-process-cli.js';
import { testData } from '../helpers/virtual-link.js';

/** Device timeouts at 2% of the real ones. */
const TIME_SCALE = 0.02;
const work = mkdtempSync(join(tmpdir(), 'serial-flash-profiles-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A P1 user part: the Photon fixture with platform id 8 and its CRC-32 trailer recomputed. */
function p1UserPart(): string {
  const image = Buffer.from(readFileSync(fixture('photon-user-part.bin')));
  image.writeUInt16LE(8, 0x0c);
  const crcAt = image.readUInt32LE(4) - image.readUInt32LE(0);
  image.writeUInt32BE(crc32(image.subarray(0, crcAt)), crcAt);
  const path = join(work, 'p1-user-part.bin');
  writeFileSync(path, image);
  return path;
}

function dataFile(size: number): string {
  const path = join(work, `data-${size}.bin`);
  writeFileSync(path, testData(size, size));
  return path;
}

interface Case {
  profile: string;
  file: () => string;
  args?: string[];
  /** Where the device installs or stores the image, when it has an address. */
  installedAt?: number;
  address?: number;
}

const CASES: Case[] = [
  { profile: 'photon', file: () => fixture('photon-user-part.bin'), installedAt: 0x080a0000, address: 0x080c0000 },
  { profile: 'p1', file: p1UserPart, installedAt: 0x080a0000, address: 0x080c0000 },
  { profile: 'electron', file: () => fixture('electron-user-part.bin'), installedAt: 0x08080000, address: 0x080c0000 },
  { profile: 'core', file: () => fixture('core-app-0x08005000.bin'), installedAt: 0x08005000, address: 0x60000 },
  { profile: 'ymodem', file: () => dataFile(1025), args: ['-t', 'ymodem'] },
  { profile: 'uboot', file: () => dataFile(1024), args: ['-t', 'uboot', '-a', '0x82000000'], address: 0x82000000 },
];

const FAMILY = new Set(['photon', 'p1', 'electron', 'core']);

function checkReceived(c: Case, device: Parameters<typeof receivedImage>[0], file: string): void {
  const record = device.lastTransfer;
  assert.equal(record?.status, 'accepted', JSON.stringify(record));
  assert.equal(record?.installedAt, c.installedAt);
  assert.equal(record?.address, c.address);
  const stored = receivedImage(device);
  assert.ok(stored?.equals(readFileSync(file)), 'the device holds the file byte for byte');
}

for (const c of CASES) {
  test(`${c.profile}: flashed through the in-process virtual port`, async () => {
    const port = startVirtualPort(c.profile, { timeScale: TIME_SCALE });
    try {
      const file = c.file();
      const run = await runMain([port.path, file, ...(c.args ?? [])], port.binding);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /Flashed \d+ bytes to \/dev\/virtual-/);
      checkReceived(c, port.device, file);
    } finally {
      port.close();
    }
  });

  test(`${c.profile}: flashed over tcp:// through the emulator's TCP host`, async () => {
    const options: VirtualDeviceOptions = { timeScale: TIME_SCALE, ...(FAMILY.has(c.profile) ? { listening: true } : {}) };
    const { device } = createVirtualDevice(c.profile, options);
    const host = await TcpHost.listen(device, { port: 0 });
    try {
      const file = c.file();
      const run = await runMain([host.url, file, ...(c.args ?? [])]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`Flashed \\d+ bytes to ${host.url.replace(/\./g, '\\.')}`));
      if (FAMILY.has(c.profile)) assert.match(run.stdout, /cannot pass a line-rate change on to the device/);
      checkReceived(c, device, file);
    } finally {
      device.dispose();
      await host.close();
    }
  });
}
