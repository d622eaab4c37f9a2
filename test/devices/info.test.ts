import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createVirtualDevice, startVirtualPort } from '../../src/emulator/index.js';
import { TcpHost } from '../../src/emulator/tcp-host.js';
import { runMain } from '../helpers/in-process-cli.js';

test('info enters listening mode and reads the whole id and version (1.5.2, not 1), leaving 9600 baud', async () => {
  const port = startVirtualPort('photon', { timeScale: 0.02, systemVersion: '1.5.2', deviceId: '0123456789abcdef01234567' });
  const rates: number[] = [];
  port.device.on('line-coding', (rate: number) => rates.push(rate));
  try {
    const run = await runMain(['info', port.path, '--json'], port.binding);
    assert.equal(run.code, 0, run.stderr);
    const info = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    assert.equal(info.deviceId, '0123456789abcdef01234567');
    assert.equal(info.systemVersion, '1.5.2');
    assert.equal(info.device, 'Photon');
    assert.equal(info.platform, 'Photon (platform 6)', 'the device says what it is (s)');
    assert.deepEqual(info.modules, ['bootloader version 101', 'system part 1 version 1502', 'system part 2 version 1502']);
    assert.equal(rates.at(-1), 9600, 'a harmless rate is left set');
    assert.equal(port.device.mode, 'application', "and the device leaves listening mode ('x')");
  } finally {
    port.close();
  }
});

test('info at a U-Boot console behind a raw TCP bridge: its echo of "i" is no answer, and no MODE/SETUP advice', async () => {
  // A raw bridge carries no line rate, so U-Boot hears the "i" (over USB, 28800 baud garbles it).
  const { device, wire } = createVirtualDevice('uboot');
  const host = await TcpHost.listen(wire, { device });
  try {
    const run = await runMain(['info', host.url]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /echoed the "i" typed to it instead of giving its id: it is a console, not a Spark or Particle device/);
    assert.doesNotMatch(run.stderr, /MODE\/SETUP/);
  } finally {
    device.dispose();
    await host.close();
  }
});
