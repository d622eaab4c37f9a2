/**
 * --json for every command: one JSON object per line on stdout, each with a type, the last
 * always one result line; human text on stderr.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { FlashJsonRenderer, JSON_PROGRESS_INTERVAL_MS } from '../../src/cli/render/flash-json.js';
import { JsonLines } from '../../src/cli/render/json.js';
import { type ErrorContext, TransferError } from '../../src/errors.js';
import { startVirtualPort } from '../../src/emulator/index.js';
import { fixture, runCli } from '../helpers/cli.js';
import { runMain } from '../helpers/in-process-cli.js';

const TIME_SCALE = 0.02;

type Line = Record<string, unknown> & { type: string };

/** Every stdout line parsed; fails when one is not a JSON object with a type. */
function jsonLines(stdout: string): Line[] {
  const lines = stdout.split('\n').filter(Boolean);
  return lines.map((line) => {
    const parsed = JSON.parse(line) as Line;
    assert.equal(typeof parsed.type, 'string', `a line without a type: ${line}`);
    return parsed;
  });
}

function lastResult(lines: Line[]): Line {
  const results = lines.filter((line) => line.type === 'result');
  assert.equal(results.length, 1, 'exactly one result line');
  assert.equal(lines.at(-1), results[0], 'the result line is the last');
  return results[0]!;
}

test('a successful flash: plan, steps, start, progress, device text, then the result with port, target, address, bytes, seconds', async () => {
  const port = startVirtualPort('photon', { timeScale: TIME_SCALE });
  try {
    const run = await runMain([port.path, fixture('photon-user-part.bin'), '--json'], port.binding);
    assert.equal(run.code, 0, run.stderr);
    const lines = jsonLines(run.stdout);
    const types = new Set(lines.map((line) => line.type));
    for (const type of ['plan', 'open', 'step', 'start', 'progress', 'device-text', 'result']) assert.ok(types.has(type), `a ${type} line`);
    const result = lastResult(lines);
    assert.equal(result.ok, true);
    assert.equal(result.port, port.path);
    assert.equal(result.target, 'particle');
    assert.equal(result.device, 'Photon');
    assert.equal(result.address, 0x080a0000);
    assert.equal(result.bytes, 4004);
    assert.equal(typeof result.seconds, 'number');
    const progress = lines.filter((line) => line.type === 'progress');
    assert.deepEqual(progress.at(-1), { ...progress.at(-1), bytes: 4004, totalBytes: 4004, percent: 100 });
    assert.ok(lines.every((line) => line.type === 'result' || typeof line.t === 'number'), 'every event carries t');
    assert.match(run.stderr, /Flashed 4004 bytes/, 'human text goes to stderr');
    assert.doesNotMatch(run.stdout, /Flashed/);
  } finally {
    port.close();
  }
});

test('a transfer the device refuses: the last line is the failure with its message, code, exit code and the bytes that got through', async () => {
  const port = startVirtualPort('photon', { timeScale: TIME_SCALE });
  try {
    const run = await runMain([port.path, fixture('photon-user-part-bad-crc.bin'), '--force', '--json'], port.binding);
    assert.equal(run.code, 1);
    const result = lastResult(jsonLines(run.stdout));
    assert.equal(result.ok, false);
    assert.equal(result.exitCode, 1);
    assert.equal(result.port, port.path);
    assert.equal(result.target, 'particle');
    assert.equal(typeof result.code, 'string');
    assert.match(String(result.message), /Validation failed/);
    assert.equal(result.bytes, 4004, 'every data block was acknowledged before the verdict');
    assert.match(run.stderr, /serial-flash: .*Validation failed/, 'the sentence is on stderr too');
  } finally {
    port.close();
  }
});

test('usage errors and refusals before the device is touched still end with one result line', async () => {
  const unknown = await runMain(['--json', '--bogus', 'x.bin']);
  assert.equal(unknown.code, 2);
  assert.deepEqual(
    { ...lastResult(jsonLines(unknown.stdout)), seconds: 0, context: {} },
    { type: 'result', ok: false, message: 'Unknown argument: bogus (see serial-flash --help).', code: 'USAGE', error: 'InputError', context: {}, exitCode: 2, seconds: 0 },
  );
  const missing = await runMain(['/dev/virtual-none', 'missing.bin', '--json']);
  assert.equal(missing.code, 2);
  const result = lastResult(jsonLines(missing.stdout));
  assert.equal(result.code, 'FILE_NOT_FOUND');
  assert.equal(result.port, '/dev/virtual-none', 'what was asked for is reported');
});

test('--dry-run --json: the plan, then a result that says nothing was sent', async () => {
  const port = startVirtualPort('photon', { timeScale: TIME_SCALE });
  try {
    const run = await runMain([port.path, fixture('photon-user-part.bin'), '--dry-run', '--json'], port.binding);
    assert.equal(run.code, 0, run.stderr);
    const lines = jsonLines(run.stdout);
    assert.deepEqual(
      lines.map((line) => line.type),
      ['plan', 'result'],
    );
    assert.equal(lastResult(lines).dryRun, true);
    assert.equal(lastResult(lines).bytes, 0);
  } finally {
    port.close();
  }
});

test('list --json: one port line per port, then the result', async () => {
  const port = startVirtualPort('photon', { timeScale: TIME_SCALE });
  try {
    const run = await runMain(['list', '--json'], port.binding);
    assert.equal(run.code, 0, run.stderr);
    const lines = jsonLines(run.stdout);
    assert.deepEqual(
      lines.filter((line) => line.type === 'port').map((line) => [line.path, line.device, line.mode, line.vendorId]),
      [[port.path, 'Photon', 'serial', '2b04']],
    );
    assert.deepEqual({ ...lastResult(lines), seconds: 0 }, { type: 'result', ok: true, ports: 1, devices: 1, seconds: 0 });
  } finally {
    port.close();
  }
});

test('info --json: the steps, then the id and version in the result', async () => {
  const port = startVirtualPort('photon', { timeScale: TIME_SCALE });
  try {
    const run = await runMain(['info', port.path, '--json'], port.binding);
    assert.equal(run.code, 0, run.stderr);
    const lines = jsonLines(run.stdout);
    const result = lastResult(lines);
    assert.equal(result.ok, true);
    assert.equal(result.port, port.path);
    assert.match(String(result.deviceId), /^[0-9a-f]{24}$/);
    assert.equal(typeof result.systemVersion, 'string');
    assert.ok(lines.some((line) => line.type === 'step'));
    assert.match(run.stderr, /Device id:/);
  } finally {
    port.close();
  }
});

test('info --json on a missing port: the failure result names the port and exit code 3', async () => {
  const port = startVirtualPort('photon', { timeScale: TIME_SCALE });
  try {
    const run = await runMain(['info', '/dev/virtual-gone', '--json'], port.binding);
    assert.equal(run.code, 3);
    const result = lastResult(jsonLines(run.stdout));
    assert.deepEqual([result.ok, result.port, result.code, result.exitCode], [false, '/dev/virtual-gone', 'PORT_NOT_FOUND', 3]);
  } finally {
    port.close();
  }
});

test('the real binary: --json output parses line by line and the last line is the result', async () => {
  const run = await runCli(['--json', '/dev/serial-flash-none', fixture('empty.bin')]);
  assert.equal(run.code, 2);
  const result = lastResult(jsonLines(run.stdout));
  assert.equal(result.code, 'FILE_EMPTY');
  assert.equal(result.exitCode, 2);
  assert.match(run.stderr, /empty/);
});

test('progress lines are throttled, but the first and the last always come', () => {
  const out = new PassThrough();
  let now = 0;
  const lines = new JsonLines(out, () => now, 0);
  const renderer = new FlashJsonRenderer(lines, { clock: () => now });
  renderer.onEvent({ type: 'start', totalBytes: 10 * 1024 });
  for (let block = 1; block <= 10; block++) {
    now += JSON_PROGRESS_INTERVAL_MS / 4;
    renderer.onEvent({ type: 'progress', bytes: block * 1024, totalBytes: 10 * 1024, block });
  }
  const written = jsonLines(String(out.read())).filter((line) => line.type === 'progress');
  assert.deepEqual(
    written.map((line) => line.block),
    [1, 5, 9, 10],
  );
});

test('the result is written once; nothing follows it', () => {
  const out = new PassThrough();
  const lines = new JsonLines(out, () => 1500, 0);
  lines.event('step', { message: 'one' });
  lines.failure(new TransferError('TOO_MANY_RETRIES', 'Block 3 was not accepted.', { block: 3, data: Buffer.of(1, 2) } as ErrorContext), 1);
  lines.result(true);
  lines.event('step', { message: 'late' });
  const written = jsonLines(String(out.read()));
  assert.deepEqual(written, [
    { type: 'step', t: 1.5, message: 'one' },
    {
      type: 'result',
      ok: false,
      message: 'Block 3 was not accepted.',
      code: 'TOO_MANY_RETRIES',
      error: 'TransferError',
      context: { block: 3, data: '0102' },
      exitCode: 1,
      seconds: 1.5,
    },
  ]);
});
