import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualBinding } from '../../src/emulator/virtual-binding.js';
import { describePort } from '../../src/flash/discover.js';
import { ptyPair, skipUnless, SOCAT } from '../helpers/system-tools.js';

test('a port of a given binding is described from its list, with the device recognised', async () => {
  const binding = new VirtualBinding();
  binding.add('/dev/ttyACM7', { onHostData: () => undefined }, { vendorId: '2b04', productId: 'c006', manufacturer: 'Particle' });
  const described = await describePort('/dev/ttyACM7', binding);
  assert.equal(described?.vendorId, '2b04');
  assert.equal(described?.device?.name, 'Photon');
  assert.equal(described?.device?.profile.name, 'particle');
  assert.equal(await describePort('/dev/ttyACM8', binding), undefined);
});

test('network ports have no USB identity', async () => {
  assert.equal(await describePort('tcp://127.0.0.1:2000'), undefined);
});

test('a pseudo-terminal is not a USB device, and neither is a path that does not exist', { skip: skipUnless(SOCAT) }, async () => {
  const pair = await ptyPair();
  try {
    assert.equal((await describePort(pair.a))?.vendorId, undefined);
    assert.equal(await describePort('/dev/serial/by-id/no-such-device'), undefined);
  } finally {
    await pair.close();
  }
});
