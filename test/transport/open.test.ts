import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { promises as fsp } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { VirtualBinding } from '../../src/emulator/virtual-binding.js';
import { CancelledError, InputError, PortError } from '../../src/errors.js';
import { openConnection, waitForPort } from '../../src/transport/open.js';
import { ptySkipReason, startPtyPair } from './pty-pair.js';

const silentDevice = { onHostData: () => undefined };

describe('openConnection', () => {
  it('opens tcp:// and socket:// URLs as TCP connections', async () => {
    const server = createServer((socket) => socket.resume());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      for (const scheme of ['tcp', 'TCP', 'socket']) {
        const connection = await openConnection(`${scheme}://127.0.0.1:${port}`, { baudRate: 115200 });
        assert.equal(connection.kind, 'tcp');
        await connection.close();
      }
    } finally {
      server.close();
    }
  });

  it('opens a device path as a serial connection at the requested rate, and knows a pty for one', { skip: ptySkipReason }, async () => {
    const pair = await startPtyPair();
    try {
      const connection = await openConnection(pair.a, { baudRate: 57600 });
      assert.equal(connection.kind, 'pty');
      assert.equal(connection.canSetLineRate, true, 'a pty takes a line rate: the other side reads it');
      assert.equal(connection.canSignal, false, 'a pty has no modem lines');
      assert.equal(connection.description, 'a pseudo-terminal');
      assert.equal(connection.baudRate, 57600);
      await connection.close();
    } finally {
      await pair.stop();
    }
  });

  it('uses the binding it is given for serial paths', async () => {
    const binding = new VirtualBinding();
    binding.add('virtual:photon', silentDevice, { vendorId: '2b04', productId: 'c006' });
    const connection = await openConnection('virtual:photon', { baudRate: 9600, binding, dtr: true });
    assert.equal(connection.kind, 'serial');
    assert.deepEqual(connection.usb, { vendorId: '2b04', productId: 'c006' });
    await connection.close();
  });

  it('refuses URL schemes it cannot speak instead of calling them missing files', async () => {
    await assert.rejects(openConnection('telnet://host:4000', { baudRate: 115200 }), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.equal(error.code, 'UNSUPPORTED_PORT_URL');
      assert.match(error.message, /^telnet:\/\/ ports are not supported; name the port as one of \/dev\/ttyACM0 or COM3, rfc2217:\/\/host:port, tcp:\/\/host:port/);
      return true;
    });
  });

  it('does not open anything once the signal has aborted', async () => {
    const binding = new VirtualBinding();
    binding.add('/dev/ttyVIRT0', silentDevice);
    await assert.rejects(openConnection('/dev/ttyVIRT0', { baudRate: 9600, binding, signal: AbortSignal.abort() }), CancelledError);
    // Nothing was left open: the port opens again.
    const connection = await openConnection('/dev/ttyVIRT0', { baudRate: 9600, binding });
    await connection.close();
  });
});

describe('waitForPort', () => {
  it('returns at once for a port that exists, and for TCP bridges', async () => {
    const started = Date.now();
    await waitForPort('/dev/null', { timeoutMs: 5000 });
    await waitForPort('tcp://127.0.0.1:9', { timeoutMs: 5000 });
    assert.ok(Date.now() - started < 1000);
  });

  it('waits for a device node that appears later (a re-enumerating device)', { skip: ptySkipReason }, async () => {
    const dir = await fsp.mkdtemp(join(tmpdir(), 'serial-flash-wait-'));
    const target = join(dir, 'ttyACM0');
    try {
      const started = Date.now();
      const appear = (async () => {
        await new Promise((resolve) => setTimeout(resolve, 400));
        const pair = await startPtyPair();
        await fsp.symlink(await fsp.realpath(pair.a), target);
        return pair;
      })();
      await waitForPort(target, { timeoutMs: 5000 });
      const pair = await appear;
      assert.ok(Date.now() - started >= 400);
      const connection = await openConnection(target, { baudRate: 115200 });
      await connection.close();
      await pair.stop();
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('waits for a port to be listed by the given binding', async () => {
    const binding = new VirtualBinding();
    setTimeout(() => binding.add('virtual:photon', silentDevice), 300);
    const started = Date.now();
    await waitForPort('virtual:photon', { timeoutMs: 5000, binding });
    assert.ok(Date.now() - started >= 300);
  });

  it('gives up after timeoutMs with PORT_WAIT_TIMEOUT', async () => {
    const missing = join(tmpdir(), 'serial-flash-never-there');
    const started = Date.now();
    await assert.rejects(waitForPort(missing, { timeoutMs: 600 }), (error: unknown) => {
      assert.ok(error instanceof PortError);
      assert.equal(error.code, 'PORT_WAIT_TIMEOUT');
      assert.equal(error.message, `${missing} did not appear within 0.6 s; check the cable and that the device is powered.`);
      return true;
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 600 && elapsed < 1500, `gave up after ${elapsed} ms`);
  });

  it('stops waiting when the signal aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    await assert.rejects(waitForPort('/dev/serial-flash-never', { timeoutMs: 10_000, signal: controller.signal }), CancelledError);
    assert.ok(Date.now() - started < 1000);
  });
});
