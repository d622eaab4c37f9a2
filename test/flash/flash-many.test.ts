/** flashMany against several virtual devices on one binding: concurrency, independence, cancellation. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ParticleDevice, startVirtualPort, VirtualBinding, type VirtualPortHandle } from '../../src/emulator/index.js';
import { CancelledError, InputError, PortError } from '../../src/errors.js';
import { findAllDevices } from '../../src/flash/discover.js';
import { flashMany } from '../../src/flash/flash-many.js';
import { fixture } from '../helpers/cli.js';

const TIME_SCALE = 0.02;
const IMAGE = fixture('photon-user-part.bin');

function photons(count: number, options: Parameters<typeof startVirtualPort>[1] = {}): { binding: VirtualBinding; ports: VirtualPortHandle[] } {
  const binding = new VirtualBinding();
  const ports = Array.from({ length: count }, (_, i) =>
    startVirtualPort('photon', { timeScale: TIME_SCALE, seed: i + 1, ...options, binding, path: `/dev/virtual-photon-${i}` }),
  );
  return { binding, ports };
}

/**
 * Holds every device's answers once it has the header, until all of them have one: the transfers
 * can then only complete if they run at the same time, whatever the machine's load.
 */
function holdAnswersUntilAllStarted(ports: VirtualPortHandle[]): void {
  let started = 0;
  const waiting: (() => void)[] = [];
  for (const port of ports) {
    let holding = false;
    port.device.on('transfer-start', () => {
      holding = true;
      started++;
      if (started === ports.length) for (const release of waiting.splice(0)) release();
    });
    port.device.addOutputStage((bytes, next) => {
      if (!holding || started === ports.length) return next(bytes);
      waiting.push(() => next(bytes));
    });
  }
}

test('four devices are flashed at the same time: every transfer starts before any finishes, and each holds the image', async () => {
  const { binding, ports } = photons(4);
  holdAnswersUntilAllStarted(ports);
  try {
    const result = await flashMany({ file: IMAGE, ports: ports.map((port) => port.path), binding });
    assert.equal(result.ok, true, JSON.stringify(result.devices.filter((d) => !d.ok).map((d) => !d.ok && d.error.message)));
    assert.deepEqual(result.devices.map((device) => device.port), ports.map((port) => port.path), 'outcomes in the order given');
    const image = readFileSync(IMAGE);
    for (const port of ports) {
      assert.equal(port.device.lastTransfer?.status, 'accepted', port.path);
      assert.ok((port.device as ParticleDevice).flash.read(0x080a0000, image.length).equals(image), `${port.path} holds the image`);
    }
  } finally {
    for (const port of ports) port.close();
  }
});

// How long four take against one is a speed figure: npm run bench measures it (BENCHMARKS.md).

test('one device failing does not stop the others, and keeps its own reason', async () => {
  const binding = new VirtualBinding();
  const good = startVirtualPort('photon', { timeScale: TIME_SCALE, seed: 1, binding, path: '/dev/virtual-good' });
  const old = startVirtualPort('photon', { timeScale: TIME_SCALE, seed: 2, binding, path: '/dev/virtual-6x', firmwareVersion: '6.x', listening: true });
  try {
    const result = await flashMany({ file: IMAGE, ports: [good.path, old.path, '/dev/virtual-missing'], binding });
    assert.equal(result.ok, false);
    const [first, second, third] = result.devices;
    assert.equal(first!.ok, true);
    assert.equal(good.device.lastTransfer?.status, 'accepted');
    assert.ok(!second!.ok && /DFU/.test(second!.error.message), 'the 6.x device is told to use DFU');
    assert.ok(!third!.ok && third!.error instanceof PortError, 'the missing port is a port error');
  } finally {
    good.close();
    old.close();
  }
});

test('cancelling stops every transfer, each with a CancelledError', async () => {
  const { binding, ports } = photons(3);
  const controller = new AbortController();
  try {
    const result = await flashMany({
      file: IMAGE,
      ports: ports.map((port) => port.path),
      binding,
      signal: controller.signal,
      onEvent: (_port, event) => {
        if (event.type === 'progress') controller.abort();
      },
    });
    assert.equal(result.ok, false);
    for (const device of result.devices) assert.ok(!device.ok && device.error instanceof CancelledError, device.port);
  } finally {
    for (const port of ports) port.close();
  }
});

test('no ports, or a port named twice, is refused before anything is opened', async () => {
  await assert.rejects(flashMany({ file: IMAGE, ports: [] }), (error) => error instanceof InputError && error.code === 'NO_PORTS');
  await assert.rejects(flashMany({ file: IMAGE, ports: ['/dev/a', '/dev/b', '/dev/a'] }), (error) => error instanceof InputError && /\/dev\/a is named twice/.test(error.message));
});

test('findAllDevices returns the devices ready for serial flashing, not those in DFU mode', async () => {
  const { binding, ports } = photons(2);
  binding.add('/dev/virtual-dfu', { onHostData: () => undefined }, { vendorId: '2b04', productId: 'd006' });
  binding.add('/dev/virtual-uart', { onHostData: () => undefined }, { vendorId: '0403', productId: '6001' });
  try {
    assert.deepEqual(
      (await findAllDevices(binding)).map((port) => port.path),
      ports.map((port) => port.path),
    );
    for (const port of ports) port.close();
    await assert.rejects(findAllDevices(binding), (error) => error instanceof PortError && /virtual-dfu: Photon in DFU mode/.test(error.message));
  } finally {
    for (const port of ports) port.close();
  }
});
