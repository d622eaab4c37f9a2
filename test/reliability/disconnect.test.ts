/**
 * The port going away mid-transfer (a device reset, a cable pulled) and a device that stops
 * answering, through the CLI in-process against virtual devices: noticed at once, exit 1, one
 * sentence saying how far it got and what that means for the device, the port left harmless.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startVirtualPort, type VirtualPortHandle } from '../../src/emulator/index.js';
import { runMain } from '../helpers/in-process-cli.js';
import { ImageStore } from './images.js';
import { DeviceView } from './observe.js';
import { onBlock } from './virtual-flash.js';

const images = new ImageStore();
const TIME_SCALE = 0.05;

/** The error line serial-flash printed: exactly one, no stack trace. */
function errorLine(stderr: string): string {
  const lines = stderr.split('\n').filter((line) => line.startsWith('serial-flash: '));
  assert.equal(lines.length, 1, stderr);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  return lines[0]!.slice('serial-flash: '.length);
}

async function timeFrom(port: VirtualPortHandle, event: 'reset', run: () => Promise<unknown>): Promise<number> {
  let at = 0;
  port.device.once(event, () => (at = performance.now()));
  await run();
  assert.ok(at > 0, `the device never had its ${event}`);
  return performance.now() - at;
}

for (const [profile, kind, device] of [
  ['photon', 'photon', 'device'],
  ['core', 'core', 'Spark Core'],
] as const) {
  test(`a ${device} that resets mid-transfer: noticed at once, exit 1, "disconnected after N of M bytes", keeps its previous firmware`, async () => {
    const image = images.get(kind, 50_001);
    const port = startVirtualPort(profile, { timeScale: TIME_SCALE, faults: { dieAfterBlocks: 10 } });
    let stored = 0;
    port.device.on('block', (block) => (stored = Math.max(stored, block.offset + block.size)));
    try {
      let run: Awaited<ReturnType<typeof runMain>> | undefined;
      const noticedAfterMs = await timeFrom(port, 'reset', async () => (run = await runMain([port.path, image.path], port.binding)));
      assert.equal(run!.code, 1, run!.stderr);
      const message = errorLine(run!.stderr);
      const match = /^The (?:device|Spark Core) disconnected after (\d+) of 50001 bytes; it keeps its previous firmware, so reconnect it and flash again/.exec(message);
      assert.ok(match, message);
      assert.ok(message.startsWith(`The ${device} `));
      assert.ok(Number(match[1]) > 0 && Number(match[1]) <= stored, `${match[1]} bytes, never more than the device stored (${stored})`);
      assert.ok(noticedAfterMs < 1_000, `noticed ${Math.round(noticedAfterMs)} ms after the reset`);
    } finally {
      port.close();
    }
  });
}

test('a USB-serial adapter pulled mid-transfer: exit 1 at once, "disconnected after N of M bytes", the receiver lacks the file', async () => {
  const image = images.get('data', 30_000);
  const port = startVirtualPort('ymodem', { timeScale: TIME_SCALE });
  onBlock(port, 4, () => port.binding.remove(port.path));
  try {
    const started = performance.now();
    const run = await runMain([port.path, image.path, '--target', 'ymodem'], port.binding);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(
      errorLine(run.stderr),
      'The device disconnected after 3072 of 30000 bytes (it reset, or the cable was pulled); the receiver does not have the whole file, so reconnect it and send again.',
    );
    assert.ok(performance.now() - started < 2_000);
  } finally {
    port.close();
  }
});

test('an adapter pulled once every block was acknowledged (at the EOT): the receiver may have the whole file, and the message says so', async () => {
  const image = images.get('data', 3000);
  const port = startVirtualPort('ymodem', { timeScale: TIME_SCALE });
  const onHostData = port.device.onHostData.bind(port.device);
  port.device.onHostData = (data) => {
    if (data.length === 1 && data[0] === 0x04) return port.binding.remove(port.path);
    onHostData(data);
  };
  try {
    const run = await runMain([port.path, image.path, '--target', 'ymodem'], port.binding);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(
      errorLine(run.stderr),
      'The device disconnected after 3000 of 3000 bytes, before confirming the end of the file; it may have kept the whole file, so check it, or reconnect it and send again.',
    );
  } finally {
    port.close();
  }
});

test('a receiver that stops answering mid-transfer is given up on after --retries × --timeout, told to abort, the port closed', async () => {
  const image = images.get('data', 30_000);
  // A board behind a USB-UART adapter hangs: the adapter's port stays, nothing answers any more.
  const port = startVirtualPort('ymodem', { timeScale: TIME_SCALE, returnAfterResetMs: false });
  const view = new DeviceView(port.device);
  onBlock(port, 4, () => port.device.reset('fault', false));
  try {
    const started = performance.now();
    const run = await runMain([port.path, image.path, '--target', 'ymodem', '--timeout', '0.3', '--retries', '2'], port.binding);
    const elapsed = performance.now() - started;
    assert.equal(run.code, 1, run.stderr);
    assert.match(errorLine(run.stderr), /^Block 4 was not accepted after 3 attempts \(last answer: no answer\); check the cable/);
    // --timeout and --retries were honoured: three waits of 0.3 s at least, and less than one
    // wait at the default 10 s (a loaded machine stretches the run, it cannot stretch it that far).
    assert.ok(elapsed >= 3 * 300 && elapsed < 10_000, `bounded by the timeouts: ${Math.round(elapsed)} ms`);
    assert.ok(view.hostBytes().subarray(-5).every((byte) => byte === 0x18), 'it was told to abort');
    assert.ok(view.hostCloses >= 1, 'the port was closed');
  } finally {
    port.close();
  }
});

test('a Photon that freezes mid-transfer (its port stays, nothing answers): bounded by the timeouts, port back at 9600 and closed', async () => {
  const image = images.get('photon', 20_000);
  const port = startVirtualPort('photon', { timeScale: TIME_SCALE });
  const view = new DeviceView(port.device);
  onBlock(port, 3, () => {
    // Frozen firmware: it hears nothing and says nothing, timers included.
    port.device.onHostData = () => undefined;
    port.device.addOutputStage(() => undefined);
  });
  try {
    const started = performance.now();
    const run = await runMain([port.path, image.path, '--timeout', '0.3', '--retries', '1'], port.binding);
    assert.equal(run.code, 1, run.stderr);
    assert.match(errorLine(run.stderr), /not accepted after 2 attempts \(last answer: no answer\)/);
    assert.ok(performance.now() - started < 2 * 300 + 2_000);
    assert.ok(view.hostCloses >= 1, 'the port was closed');
    assert.equal(view.lineCodings.at(-1), 9600, `left at a harmless rate (${view.lineCodings.join(' → ')})`);
  } finally {
    port.close();
  }
});
