/**
 * The emulator's TCP host on loopback: bytes both ways, one client at a time (as ser2net),
 * a device reset that takes the port away ends the connection and turns clients away until
 * the device is back, and a busy listening port is reported in one sentence.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { createVirtualDevice } from '../../src/emulator/index.js';
import { TcpHost } from '../../src/emulator/tcp-host.js';
import type { DeviceEnd, VirtualWire } from '../../src/emulator/virtual-binding.js';
import { PortError } from '../../src/errors.js';
import { testData } from '../helpers/virtual-link.js';
import { readBytes } from '../helpers/sockets.js';

/** A wire that records what it is told and answers every byte with its complement. */
class Complementer implements VirtualWire {
  received: Buffer[] = [];
  opens = 0;
  closes = 0;
  end: DeviceEnd | undefined;
  onHostOpen(end: DeviceEnd): void {
    this.opens++;
    this.end = end;
  }
  onHostClose(): void {
    this.closes++;
  }
  onHostData(data: Buffer): void {
    this.received.push(data);
    this.end?.send(data.map((b) => b ^ 0xff));
  }
}

async function connectTo(host: TcpHost): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port: host.port });
  await once(socket, 'connect');
  return socket;
}


function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (condition()) return resolve();
      if (Date.now() > deadline) return reject(new Error('condition not met in time'));
      setTimeout(poll, 5);
    };
    poll();
  });
}

test('bytes cross both ways unchanged, in order, and open/close reach the device', async () => {
  const wire = new Complementer();
  const host = await TcpHost.listen(wire);
  try {
    assert.match(host.url, /^tcp:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(host.port, 0, 'port 0 was replaced by the chosen port');
    const socket = await connectTo(host);
    await until(() => wire.opens === 1);
    const data = testData(100_000, 7);
    const answer = readBytes(socket, data.length);
    socket.write(data);
    const got = await answer;
    assert.ok(Buffer.concat(wire.received).equals(data), 'the device got every byte');
    assert.ok(got.equals(data.map((b) => b ^ 0xff)), 'the client got every answer');
    socket.destroy();
    await until(() => wire.closes === 1);
    assert.equal(host.connected, false);
  } finally {
    await host.close();
  }
});

test('a second client is turned away while one holds the port, and accepted once it leaves', async () => {
  const wire = new Complementer();
  const host = await TcpHost.listen(wire);
  const refused: string[] = [];
  host.on('refuse', (_peer, why) => refused.push(why));
  try {
    const first = await connectTo(host);
    await until(() => wire.opens === 1);
    const second = await connectTo(host);
    const secondGot = await readBytes(second, 1); // resolves on close
    assert.equal(secondGot.length, 0, 'nothing reached the second client');
    assert.deepEqual(refused, ['busy']);
    assert.equal(wire.opens, 1, 'the device never saw the second client');
    first.destroy();
    await until(() => !host.connected);
    const third = await connectTo(host);
    await until(() => wire.opens === 2);
    const answer = readBytes(third, 1);
    third.write(Buffer.of(0x0f));
    assert.deepEqual([...(await answer)], [0xf0]);
    third.destroy();
  } finally {
    await host.close();
  }
});

test('a reset that takes the USB port away ends the connection; clients are turned away until the device is back', async () => {
  const { device } = createVirtualDevice('photon', { listening: true, timeScale: 0.01 });
  const host = await TcpHost.listen(device);
  const refused: string[] = [];
  host.on('refuse', (_peer, why) => refused.push(why));
  try {
    const client = await connectTo(host);
    const identity = readBytes(client, 10);
    client.write('i');
    assert.match((await identity).toString(), /Your device id/);
    const closed = once(client, 'close');
    device.reset('power-cycle', 200);
    await closed;
    const during = await connectTo(host);
    await readBytes(during, 1);
    assert.deepEqual(refused, ['absent']);
    await once(device, 'boot');
    const afterBoot = await connectTo(host);
    await until(() => host.connected);
    afterBoot.destroy();
  } finally {
    device.dispose();
    await host.close();
  }
});

test('a port that is already in use is reported with what to do', async () => {
  const first = await TcpHost.listen(new Complementer());
  try {
    await assert.rejects(TcpHost.listen(new Complementer(), { port: first.port }), (error: unknown) => {
      assert.ok(error instanceof PortError);
      assert.equal(error.code, 'LISTEN_IN_USE');
      assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${first.port} is already in use; choose another port`));
      return true;
    });
  } finally {
    await first.close();
  }
});
