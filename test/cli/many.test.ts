/** Several devices from the command line: --all, repeated --port, the table, exit codes, JSON. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { combinedExitCode } from '../../src/cli/commands/flash-many.js';
import { startVirtualPort, VirtualBinding, type VirtualPortHandle } from '../../src/emulator/index.js';
import { fixture } from '../helpers/cli.js';
import { runMain } from '../helpers/in-process-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

const TIME_SCALE = 0.02;
const IMAGE = fixture('photon-user-part.bin');

function bench(names: string[], extra: Record<string, Parameters<typeof startVirtualPort>[1]> = {}) {
  const binding = new VirtualBinding();
  const ports: VirtualPortHandle[] = names.map((name, i) =>
    startVirtualPort('photon', { timeScale: TIME_SCALE, seed: i + 1, ...extra[name], binding, path: `/dev/virtual-${name}` }),
  );
  return { binding, ports, close: () => ports.forEach((port) => port.close()) };
}

/** The table's rows after its heading, as cells split on runs of two or more spaces (not the reasons after it). */
function tableRows(text: string): string[][] {
  const lines = text.split('\n');
  const heading = lines.findIndex((line) => /^PORT +DEVICE +SECONDS +RESULT$/.test(line));
  assert.ok(heading >= 0, `a table in:\n${text}`);
  const rows = lines.slice(heading + 1).filter((line) => line.startsWith('/dev/') && !/^\S+: /.test(line));
  return rows.map((line) => line.split(/ {2,}/));
}

test('--all flashes every recognised device at once: a progress line each, then a table, exit 0', async () => {
  const { binding, ports, close } = bench(['a', 'b', 'c', 'd']);
  try {
    const run = await runMain([IMAGE, '--all'], binding);
    assert.equal(run.code, 0, run.stderr);
    for (const port of ports) {
      assert.match(run.stdout, new RegExp(`^${port.path} +100% 4004/4004 bytes$`, 'm'), `progress for ${port.path}`);
      assert.equal(port.device.lastTransfer?.status, 'accepted', port.path);
    }
    const rows = tableRows(run.stdout);
    assert.deepEqual(
      rows.map(([port, device, , result]) => [port, device, result]),
      ports.map((port) => [port.path, 'Photon', 'ok']),
    );
    for (const row of rows) assert.match(row[2]!, /^\d+\.\d\d s$/);
  } finally {
    close();
  }
});

test('repeated --port: a failure keeps its own reason in the table and sets the exit code', async () => {
  const { binding, ports, close } = bench(['good', 'old'], { old: { firmwareVersion: '6.x', listening: true } });
  try {
    const [good, old] = ports;
    const run = await runMain([IMAGE, '--port', good!.path, '-p', old!.path], binding);
    assert.equal(run.code, 1);
    const rows = tableRows(run.stdout);
    assert.equal(rows[0]![3], 'ok');
    assert.equal(rows[1]![3], 'failed (exit 1)');
    assert.match(run.stdout, new RegExp(`^${old!.path}: .*DFU`, 'm'), 'its reason after the table');
    assert.match(run.stderr, /1 of 2 devices failed/);
    assert.equal(good!.device.lastTransfer?.status, 'accepted');
  } finally {
    close();
  }
});

test('ports separated by commas, and a missing port among them: exit 3 when every failure is a port failure', async () => {
  const { binding, close } = bench(['a']);
  try {
    const mixed = await runMain([IMAGE, '--port', '/dev/virtual-a,/dev/virtual-gone'], binding);
    assert.equal(mixed.code, 3, mixed.stderr);
    assert.deepEqual(
      tableRows(mixed.stdout).map((row) => row[0]),
      ['/dev/virtual-a', '/dev/virtual-gone'],
    );
  } finally {
    close();
  }
});

test('combined exit code: 0 when all succeed, the shared code when failures agree, else 1', () => {
  assert.equal(combinedExitCode([]), 0);
  assert.equal(combinedExitCode([3, 3]), 3);
  assert.equal(combinedExitCode([3, 1]), 1);
  assert.equal(combinedExitCode([2, 130]), 1);
});

test('--all --json: every line names its port, one device-result per device, one result for all', async () => {
  const { binding, ports, close } = bench(['a', 'b', 'old'], { old: { firmwareVersion: '6.x', listening: true } });
  try {
    const run = await runMain([IMAGE, '--all', '--json'], binding);
    assert.equal(run.code, 1);
    const lines = run.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    const result = lines.at(-1)!;
    assert.equal(result.type, 'result');
    assert.equal(lines.filter((line) => line.type === 'result').length, 1);
    for (const line of lines.slice(0, -1)) assert.ok(typeof line.port === 'string', JSON.stringify(line));
    const deviceResults = lines.filter((line) => line.type === 'device-result');
    assert.deepEqual(deviceResults.map((line) => line.port).sort(), ports.map((port) => port.path).sort());
    assert.equal(result.ok, false);
    assert.equal(result.exitCode, 1);
    const devices = result.devices as Record<string, unknown>[];
    assert.deepEqual(
      devices.map((device) => [device.port, device.ok, device.exitCode]),
      [
        ['/dev/virtual-a', true, undefined],
        ['/dev/virtual-b', true, undefined],
        ['/dev/virtual-old', false, 1],
      ],
    );
    assert.match(String(devices[2]!.message), /DFU/);
    assert.match(run.stderr, /PORT +DEVICE +SECONDS +RESULT/, 'the table goes to stderr with the other human text');
  } finally {
    close();
  }
});

test('--log with several devices: each device line and trace line names its port', async () => {
  const { binding, close } = bench(['a', 'b']);
  const log = join(tempDir('many'), 'many.log');
  try {
    const run = await runMain([IMAGE, '--all', '--log', log], binding);
    assert.equal(run.code, 0, run.stderr);
    const text = readFileSync(log, 'utf8');
    for (const path of ['/dev/virtual-a', '/dev/virtual-b']) {
      assert.match(text, new RegExp(`${path}: · sending 'f'`));
      assert.match(text, new RegExp(`${path} tx SOH 00 FF <header`));
      assert.match(text, new RegExp(`${path}: flashed 4004 bytes at 0x080A0000`));
    }
  } finally {
    close();
  }
});

test('--all with a port named, or with no device connected, is refused', async () => {
  const { binding, close } = bench(['a']);
  try {
    const both = await runMain(['/dev/virtual-a', IMAGE, '--all'], binding);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--all flashes every recognised device/);
  } finally {
    close();
  }
  const none = await runMain([IMAGE, '--all'], new VirtualBinding());
  assert.equal(none.code, 3);
  assert.match(none.stderr, /No Spark or Particle device was found/);
});
