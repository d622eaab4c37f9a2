/**
 * Adding a device family is one profile and one registry entry: a profile that exists only in
 * this test shows up in `--target` choices and --help, is picked by `--target auto` from its
 * USB id and from its image, is listed by `serial-flash list`, and flashes a real transfer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceProfile } from '../../src/devices/profile.js';
import { profileByName, registerProfile, targetNames } from '../../src/devices/registry.js';
import { ymodemProfile } from '../../src/devices/ymodem.js';
import { createVirtualDevice, VirtualBinding, YmodemDevice } from '../../src/emulator/index.js';
import { runMain } from '../helpers/in-process-cli.js';
import { testData } from '../helpers/test-data.js';

const MAGIC = 'THROWAWY';

/** A standard YMODEM receiver in every respect but its names, its USB ids and its images. */
const throwaway: DeviceProfile = {
  ...ymodemProfile,
  name: 'throwaway',
  aliases: ['tw'],
  summary: 'a board family that exists only in this test',
  family: 'throwaway board',
  recognise: (usb) => {
    if (usb.vendorId !== 'f055') return undefined;
    if (usb.productId === 'c0de') return { name: 'Throwaway', mode: 'serial' };
    if (usb.productId === 'df00') return { name: 'Throwaway', mode: 'dfu' };
    return undefined;
  },
  claimsImage: (head) => (head.subarray(0, MAGIC.length).toString('latin1') === MAGIC ? { reason: `the image starts with ${MAGIC}` } : undefined),
};

function imageOf(size: number): Buffer {
  const image = testData(size);
  image.write(MAGIC, 0, 'latin1');
  return image;
}

async function withImage<T>(data: Buffer, use: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'serial-flash-throwaway-'));
  try {
    const path = join(dir, 'throwaway.bin');
    await writeFile(path, data);
    return await use(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `serial-flash --help` in this process: yargs prints help with console.log, not to the CLI's output. */
async function helpText(): Promise<string> {
  const log = console.log;
  let text = '';
  console.log = (...parts: unknown[]) => void (text += `${parts.join(' ')}\n`);
  try {
    const run = await runMain(['--help']);
    assert.equal(run.code, 0, run.stderr);
    return text + run.stdout;
  } finally {
    console.log = log;
  }
}

function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

test('a registered profile is a --target choice, in --help, and listed with its devices', async (t) => {
  assert.ok(!targetNames().includes('throwaway'));
  const unregister = registerProfile(throwaway);
  t.after(unregister);
  assert.ok(targetNames().includes('throwaway'));
  assert.equal(profileByName('tw'), throwaway, 'aliases name it too');

  const help = await helpText();
  assert.match(help, /choices: [^\]]*"throwaway"/, '--target choices');
  assert.match(help, /throwaway +a board family that exists only in this test/, 'the Targets list in --help');
  assert.match(help, /throwaway board/, 'the help texts name the family among the recognised devices');

  const binding = new VirtualBinding();
  binding.add('/dev/ttyTW0', { onHostData: () => undefined }, { vendorId: 'f055', productId: 'c0de' });
  binding.add('/dev/ttyTW1', { onHostData: () => undefined }, { vendorId: 'f055', productId: 'df00' });
  binding.add('/dev/ttyUSB9', { onHostData: () => undefined }, { vendorId: '0403', productId: '6001' });
  const list = await runMain(['list', '--json'], binding);
  assert.equal(list.code, 0, list.stderr);
  const ports = jsonLines(list.stdout).filter((line) => line.type === 'port');
  assert.deepEqual(
    ports.map((port) => [port.path, port.device, port.mode]),
    [
      ['/dev/ttyTW0', 'Throwaway', 'serial'],
      ['/dev/ttyTW1', 'Throwaway', 'dfu'],
      ['/dev/ttyUSB9', undefined, undefined],
    ],
  );

  unregister();
  assert.ok(!targetNames().includes('throwaway'));
  assert.doesNotMatch(await helpText(), /throwaway/);
});

test('--target auto picks the registered profile by USB id when no port is named, and it flashes', async (t) => {
  t.after(registerProfile(throwaway));
  const binding = new VirtualBinding();
  const instance = createVirtualDevice('ymodem');
  binding.add('/dev/ttyTW0', instance.wire, { vendorId: 'f055', productId: 'c0de' });
  t.after(() => instance.device.dispose());
  const image = testData(3000, 13);
  await withImage(image, async (file) => {
    const run = await runMain([file, '--json', '--verbose'], binding);
    assert.equal(run.code, 0, run.stderr);
    const lines = jsonLines(run.stdout);
    const plan = lines.find((line) => line.type === 'plan') as { plan?: Record<string, unknown> } & Record<string, unknown>;
    const planned = (plan.plan ?? plan) as Record<string, unknown>;
    assert.equal(planned.port, '/dev/ttyTW0');
    assert.equal(planned.target, 'throwaway');
    assert.match(String(planned.targetReason), /the port is a Throwaway \(USB f055:c0de\)/);
    const result = lines.at(-1)!;
    assert.equal(result.ok, true);
    assert.equal(result.target, 'throwaway');
  });
  const received = (instance.device as YmodemDevice).files;
  assert.equal(received.length, 1);
  assert.ok(received[0]!.data.subarray(0, image.length).equals(image), 'the device has the image');
});

test('--target auto picks the registered profile by what the image is; its DFU mode is refused', async (t) => {
  t.after(registerProfile(throwaway));
  const binding = new VirtualBinding();
  binding.add('/dev/ttyUSB9', { onHostData: () => undefined }, { vendorId: '0403', productId: '6001' });
  binding.add('/dev/ttyTW1', { onHostData: () => undefined }, { vendorId: 'f055', productId: 'df00' });
  await withImage(imageOf(2000), async (file) => {
    const dry = await runMain(['/dev/ttyUSB9', file, '--dry-run', '--json'], binding);
    assert.equal(dry.code, 0, dry.stderr);
    const result = jsonLines(dry.stdout).at(-1)!;
    assert.equal(result.target, 'throwaway');

    const inDfu = await runMain(['/dev/ttyTW1', file, '--dry-run'], binding);
    assert.equal(inDfu.code, 2);
    assert.match(inDfu.stderr, /The Throwaway is in DFU mode/);

    const none = await runMain([file], new VirtualBinding());
    assert.equal(none.code, 3);
    assert.match(none.stderr, /No Spark or Particle device or throwaway board was found/);
  });
});
