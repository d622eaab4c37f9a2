/**
 * openSerial over the project's in-process binding: what reaches the device side (control
 * lines, line coding) and how a device that vanishes is reported.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { BindingInterface } from '@serialport/bindings-cpp';
import { VirtualBinding, type DeviceEnd, type VirtualPortOptions } from '../../src/emulator/virtual-binding.js';
import { DisconnectedError, PortError } from '../../src/errors.js';
import { openSerial } from '../../src/transport/serial.js';
import { readBytes } from './stream-helpers.js';

interface DeviceLog {
  lines: Array<{ dtr: boolean; rts: boolean }>;
  rates: number[];
  received: Buffer[];
  end?: DeviceEnd;
}

function virtualDevice(path = '/dev/ttyVIRT0', options: VirtualPortOptions = {}) {
  const binding = new VirtualBinding();
  const log: DeviceLog = { lines: [], rates: [], received: [] };
  binding.add(
    path,
    {
      onHostData: (data) => log.received.push(data),
      onHostOpen: (end) => (log.end = end),
      onLineCoding: (rate) => log.rates.push(rate),
      onControlLines: (lines) => log.lines.push(lines),
    },
    options,
  );
  return { binding, path, log };
}

describe('openSerial over the virtual binding', () => {
  it('asserts DTR on open when asked, and drops it when asked, keeping RTS up', async () => {
    const up = virtualDevice();
    const a = await openSerial(up.path, { baudRate: 9600, binding: up.binding, dtr: true });
    assert.equal(a.canSignal, true);
    assert.deepEqual(up.log.lines, [{ dtr: true, rts: true }]);
    await a.close();

    const down = virtualDevice();
    const b = await openSerial(down.path, { baudRate: 9600, binding: down.binding, dtr: false });
    assert.deepEqual(down.log.lines, [{ dtr: false, rts: true }]);
    await b.close();

    const untouched = virtualDevice();
    const c = await openSerial(untouched.path, { baudRate: 9600, binding: untouched.binding });
    assert.deepEqual(untouched.log.lines, []);
    await c.close();
  });

  it('merges line changes: setting RTS alone keeps the DTR state set before', async () => {
    const { binding, path, log } = virtualDevice();
    const a = await openSerial(path, { baudRate: 115200, binding });
    await a.setSignals({ dtr: false });
    await a.setSignals({ rts: false });
    await a.setSignals({ dtr: true });
    await a.setSignals({});
    assert.deepEqual(log.lines, [
      { dtr: false, rts: true },
      { dtr: false, rts: false },
      { dtr: true, rts: false },
      { dtr: true, rts: false },
    ]);
    await a.close();
  });

  it('sends each baud rate change to the device as line coding', async () => {
    const { binding, path, log } = virtualDevice();
    const a = await openSerial(path, { baudRate: 115200, binding });
    await a.setBaudRate(9600);
    await a.setBaudRate(28800);
    assert.deepEqual(log.rates, [115200, 9600, 28800]);
    assert.equal(a.baudRate, 28800);
    await a.close();
  });

  it('reports the USB identity the binding lists, lower-cased', async () => {
    const { binding, path } = virtualDevice('/dev/ttyVIRT1', { vendorId: '2B04', productId: 'C006' });
    const a = await openSerial(path, { baudRate: 115200, binding });
    assert.deepEqual(a.usb, { vendorId: '2b04', productId: 'c006' });
    await a.close();
    const plain = virtualDevice('/dev/ttyVIRT2');
    const b = await openSerial(plain.path, { baudRate: 115200, binding: plain.binding });
    assert.equal(b.usb, undefined);
    await b.close();
  });

  it('moves bytes both ways and waits for them in drain', async () => {
    const { binding, path, log } = virtualDevice();
    const a = await openSerial(path, { baudRate: 115200, binding });
    const payload = Buffer.from([0x01, 0x00, 0xff, 0x0d, 0x0a, 0x18, 0x18]);
    a.stream.write(payload);
    await a.drain();
    assert.deepEqual(Buffer.concat(log.received), payload);
    const arriving = readBytes(a.stream, 2);
    log.end!.send(Buffer.from([0x06, 0x43]));
    assert.deepEqual(await arriving, Buffer.from([0x06, 0x43]));
    await a.close();
  });

  it('resolves closed with a DisconnectedError when the device disappears, and fails later calls', async () => {
    const { binding, path } = virtualDevice();
    const a = await openSerial(path, { baudRate: 115200, binding });
    a.stream.resume();
    binding.remove(path);
    const { error } = await a.closed;
    assert.ok(error instanceof DisconnectedError);
    assert.match(error.message, new RegExp(`^${path} went away`));
    await assert.rejects(a.setBaudRate(9600), (e: unknown) => e === error);
    await assert.rejects(a.drain(), (e: unknown) => e === error);
    // Writing after the loss fails instead of waiting forever for the port to reopen.
    const writeError = await new Promise<Error | null | undefined>((resolve) => {
      a.stream.once('error', () => undefined);
      a.stream.write(Buffer.from([1]), resolve);
    });
    assert.ok(writeError instanceof Error);
    await a.close();
    assert.deepEqual(await a.closed, { error });
  });

  it('treats a failed write (device gone mid-transfer) as a loss instead of crashing on the stream error', async () => {
    const { binding, path, log } = virtualDevice();
    const a = await openSerial(path, { baudRate: 115200, binding });
    log.end!.disconnect();
    a.stream.write(Buffer.from([0x02]));
    const { error } = await a.closed;
    assert.ok(error instanceof DisconnectedError);
  });

  it('after a failed write, close() returns only once the port is released, so it reopens at once', async () => {
    const { binding, path } = virtualDevice();
    let released = false;
    // A native close runs on a worker thread: here it takes a moment, and writes fail (device gone).
    const slowToRelease: BindingInterface = {
      list: () => binding.list(),
      async open(options) {
        const port = await binding.open(options);
        const close = port.close.bind(port);
        port.close = async () => {
          await new Promise((resolve) => setTimeout(resolve, 100));
          await close();
          released = true;
        };
        port.write = () => Promise.reject(new Error('Input/output error'));
        return port;
      },
    };
    const a = await openSerial(path, { baudRate: 115200, binding: slowToRelease });
    a.stream.write(Buffer.from([0x02]));
    assert.ok((await a.closed).error instanceof DisconnectedError);
    await a.close();
    assert.equal(released, true, 'close() returned while the port was still being released');
    const again = await openSerial(path, { baudRate: 115200, binding });
    await again.close();
  });

  it('lists the binding\'s ports when the requested one is missing, and reports a second opener as busy', async () => {
    const { binding, path } = virtualDevice('/dev/ttyVIRT3');
    await assert.rejects(openSerial('/dev/ttyVIRT9', { baudRate: 115200, binding }), (error: unknown) => {
      assert.ok(error instanceof PortError);
      assert.equal(error.code, 'PORT_NOT_FOUND');
      assert.equal(error.message, '/dev/ttyVIRT9 does not exist; ports found: /dev/ttyVIRT3.');
      return true;
    });
    const holder = await openSerial(path, { baudRate: 115200, binding });
    await assert.rejects(openSerial(path, { baudRate: 115200, binding }), { code: 'PORT_BUSY' });
    await holder.close();
    const empty = new VirtualBinding();
    await assert.rejects(openSerial('/dev/ttyVIRT0', { baudRate: 115200, binding: empty }), {
      message: '/dev/ttyVIRT0 does not exist; no serial ports were found — is the device plugged in?',
    });
  });
});
