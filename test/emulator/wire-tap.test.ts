/**
 * The wire tap: every byte both ways reported in order and passed on unchanged, every other
 * callback passed through, and a tapped device behind the TCP host still takes its port away
 * when it resets.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { createVirtualDevice } from '../../src/emulator/index.js';
import { TcpHost } from '../../src/emulator/tcp-host.js';
import { VirtualBinding, type DeviceEnd, type VirtualWire } from '../../src/emulator/virtual-binding.js';
import { tapWire, type WireDirection } from '../../src/emulator/wire-tap.js';
import { testData } from '../helpers/virtual-link.js';
import { readBytes } from '../helpers/sockets.js';

/** A refused client is closed within milliseconds on loopback; this long means it was let in. */
const REFUSAL_WAIT_MS = 2_000;

/** Records every callback; answers each chunk with its bytes reversed. */
class Recorder implements VirtualWire {
  calls: string[] = [];
  received: Buffer[] = [];
  end: DeviceEnd | undefined;
  onHostOpen(end: DeviceEnd): void {
    this.calls.push('open');
    this.end = end;
  }
  onHostClose(): void {
    this.calls.push('close');
  }
  onLineCoding(baudRate: number): void {
    this.calls.push(`baud ${baudRate}`);
  }
  onControlLines(lines: { dtr: boolean; rts: boolean }): void {
    this.calls.push(`dtr ${lines.dtr} rts ${lines.rts}`);
  }
  onHostData(data: Buffer): void {
    this.received.push(Buffer.from(data));
    this.end?.send(Buffer.from(data).reverse());
  }
}

function tapped(wire: VirtualWire): { wire: VirtualWire; seen: { direction: WireDirection; data: Buffer }[] } {
  const seen: { direction: WireDirection; data: Buffer }[] = [];
  return { wire: tapWire(wire, (direction, data) => seen.push({ direction, data })), seen };
}

function joined(seen: { direction: WireDirection; data: Buffer }[], direction: WireDirection): Buffer {
  return Buffer.concat(seen.filter((entry) => entry.direction === direction).map((entry) => entry.data));
}


test('through the in-process binding: 0, 1, 1024 and 1025 bytes each way, reported in order, and every other callback passed on', async () => {
  const device = new Recorder();
  const { wire, seen } = tapped(device);
  const binding = new VirtualBinding();
  binding.add('/dev/tapped', wire);
  const port = await binding.open({ path: '/dev/tapped', baudRate: 9600 });
  await port.update({ baudRate: 28800 });
  await port.set({ dtr: false, rts: true });
  const sizes = [0, 1, 1024, 1025];
  const chunks = sizes.map((size, i) => testData(size, i + 1));
  for (const chunk of chunks) await port.write(chunk);
  await port.drain();
  await port.close();
  assert.deepEqual(device.calls, ['open', 'baud 9600', 'baud 28800', 'dtr false rts true', 'close']);
  const sent = Buffer.concat(chunks);
  assert.ok(Buffer.concat(device.received).equals(sent), 'the device got every byte unchanged');
  assert.ok(joined(seen, 'to-device').equals(sent), 'the tap saw what the host wrote');
  const answers = Buffer.concat(chunks.filter((chunk) => chunk.length > 0).map((chunk) => Buffer.from(chunk).reverse()));
  assert.ok(joined(seen, 'to-host').equals(answers), 'the tap saw what the device answered');
  assert.ok(seen.every((entry) => entry.data.length > 0), 'no empty reports');
  // Each answer is reported right after the chunk that caused it.
  assert.deepEqual(
    seen.map((entry) => `${entry.direction} ${entry.data.length}`),
    ['to-device 0', 'to-device 1', 'to-host 1', 'to-device 1024', 'to-host 1024', 'to-device 1025', 'to-host 1025'].filter((line) => !line.endsWith(' 0')),
  );
});

test('a tapped Photon behind the TCP host: the trace holds both sides, and a reset still turns clients away until it boots', async () => {
  const { device } = createVirtualDevice('photon', { listening: true, timeScale: 0.01 });
  const { wire, seen } = tapped(device);
  const host = await TcpHost.listen(wire, { device });
  const refused: string[] = [];
  host.on('refuse', (_peer, why) => refused.push(why));
  try {
    const client = connect({ host: '127.0.0.1', port: host.port });
    await once(client, 'connect');
    client.write('i');
    const answer = await readBytes(client, 20);
    assert.match(answer.toString(), /Your device id/);
    assert.equal(joined(seen, 'to-device').toString(), 'i');
    assert.ok(joined(seen, 'to-host').toString().startsWith(answer.toString()), 'the tap saw what the client read');
    const closed = once(client, 'close');
    device.reset('power-cycle', 200);
    await closed;
    const during = connect({ host: '127.0.0.1', port: host.port });
    const turnedAway = await Promise.race([once(during, 'close').then(() => true), delay(REFUSAL_WAIT_MS).then(() => false)]);
    during.destroy();
    assert.ok(turnedAway, 'the client was disconnected while the device was away');
    assert.deepEqual(refused, ['absent']);
  } finally {
    device.dispose();
    await host.close();
  }
});
