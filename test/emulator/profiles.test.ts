import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createVirtualDevice, PROFILE_NAMES, PROFILES, startVirtualPort, VirtualBinding } from '../../src/emulator/index.js';
import { profileByName } from '../../src/devices/registry.js';
import { InputError } from '../../src/errors.js';
import { encodeHeaderBlock } from '../../src/protocol/blocks.js';
import { ACK, CRC_REQUEST } from '../../src/protocol/control-bytes.js';
import { Host, TEST_SCALE, eventually, sleep } from './harness.js';

test('an unknown profile is an InputError that lists the known ones', () => {
  assert.throws(
    () => createVirtualDevice('esp32'),
    (error: unknown) => error instanceof InputError && error.code === 'UNKNOWN_PROFILE' && /photon, p1, electron, spark-core, ymodem, bootrom, uboot, core/.test(error.message),
  );
});

test('each profile shows its USB identity in the port listing', async () => {
  const binding = new VirtualBinding();
  const ports = PROFILE_NAMES.map((profile) => startVirtualPort(profile, { binding, timeScale: TEST_SCALE }));
  try {
    const listed = Object.fromEntries((await binding.list()).map((p) => [p.path, `${p.vendorId}:${p.productId}`]));
    assert.deepEqual(listed, {
      '/dev/virtual-photon': '2b04:c006',
      '/dev/virtual-p1': '2b04:c008',
      '/dev/virtual-electron': '2b04:c00a',
      '/dev/virtual-spark-core': '1d50:607d',
      '/dev/virtual-ymodem': '0403:6001',
      '/dev/virtual-bootrom': '0403:6001',
      '/dev/virtual-uboot': '0403:6001',
    });
  } finally {
    ports.forEach((p) => p.close());
  }
});

test('a device is transport-free: driven through VirtualWire callbacks alone', async () => {
  const { wire, device } = createVirtualDevice('photon', { timeScale: TEST_SCALE, firmwareVersion: '0.5' });
  const out: number[] = [];
  let disconnected = false;
  try {
    wire.onHostOpen?.({ send: (bytes) => out.push(...bytes), disconnect: () => (disconnected = true) });
    wire.onLineCoding?.(9600);
    wire.onLineCoding?.(28800);
    wire.onHostData(encodeHeaderBlock({ name: 'x', size: 10 }));
    await sleep(5);
    assert.deepEqual(out, [ACK, CRC_REQUEST]);
    wire.onLineCoding?.(14400);
    assert.equal(disconnected, true);
    assert.equal(device.mode, 'dfu');
  } finally {
    device.dispose();
  }
});

test('events reach a listener; a UART board keeps its port across a reset and starts over', async () => {
  const port = startVirtualPort('ymodem', { timeScale: TEST_SCALE });
  const events: string[] = [];
  for (const name of ['transfer-start', 'block', 'transfer-complete', 'reset', 'boot'] as const) {
    port.device.on(name, () => events.push(name));
  }
  const host = await Host.open(port.binding, port.path);
  try {
    await host.expectNext([CRC_REQUEST]);
    await host.write(encodeHeaderBlock({ name: 'x', size: 0 }));
    await host.expectNext([ACK, CRC_REQUEST]);
    port.device.reset('power-cycle', 20);
    await eventually(() => events.includes('boot'));
    assert.equal(host.closed, false);
    assert.equal(port.binding.has(port.path), true);
    assert.deepEqual(events, ['transfer-start', 'reset', 'boot']);
    await host.expect(CRC_REQUEST); // a fresh receiver after the reset
  } finally {
    await host.close();
    port.close();
  }
});

test('one vocabulary: a virtual device is named as the target that flashes it, aliases included', () => {
  assert.deepEqual(Object.keys(PROFILES).sort(), [...PROFILE_NAMES].sort(), 'every profile has traits and a factory');
  for (const name of ['spark-core', 'core']) {
    const instance = createVirtualDevice(name, { timeScale: TEST_SCALE });
    try {
      assert.equal(instance.profile, 'spark-core');
      assert.equal(instance.device.profile, 'spark-core', 'the summary names it the same way');
      assert.equal(profileByName(name)?.name, 'spark-core', `--target ${name} flashes it`);
    } finally {
      instance.device.dispose();
    }
  }
  for (const name of PROFILE_NAMES) {
    const target = profileByName(name);
    if (target) assert.equal(target.name, name, `${name} means the same on both sides`);
  }
});

