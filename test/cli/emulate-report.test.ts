/**
 * `serial-flash emulate` with the global --json, --trace and --log, as a child process that
 * the real CLI flashes over tcp://: JSON lines on stdout ending with the one result line,
 * human text on stderr, and every byte on the device's port in the trace, from the device's
 * side (rx: what the host sent, tx: what the device answered).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fixture, runCli } from '../helpers/cli.js';
import { jsonLinesOf, resultOf, startEmulate, type JsonLine } from '../helpers/emulate.js';
import { testData } from '../helpers/virtual-link.js';

/** Device timings at 5% of the real ones. */
const FAST = ['--time-scale', '0.05'];
const TRACE_LINE = /^ +(\d+\.\d{3}) (tx|rx) (.+)$/;
const work = mkdtempSync(join(tmpdir(), 'serial-flash-emulate-report-'));
after(() => rmSync(work, { recursive: true, force: true }));

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

function traceLines(text: string): { seconds: number; said: string }[] {
  return text
    .split('\n')
    .map((line) => TRACE_LINE.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ seconds: Number(match[1]), said: `${match[2]} ${match[3]}` }));
}

/** Asserts that `patterns` match lines of `said` in this order (other lines may come between). */
function assertInOrder(said: string[], patterns: RegExp[]): void {
  let at = 0;
  for (const pattern of patterns) {
    const found = said.findIndex((line, i) => i >= at && pattern.test(line));
    assert.ok(found >= 0, `${pattern} after line ${at} in:\n${said.join('\n')}`);
    at = found + 1;
  }
}

function indexOfType(lines: JsonLine[], type: string): number {
  const index = lines.findIndex((line) => line.type === type);
  assert.ok(index >= 0, `a ${type} line in:\n${lines.map((line) => JSON.stringify(line)).join('\n')}`);
  return index;
}

function writeFile(name: string, data: Buffer): string {
  const path = join(work, name);
  writeFileSync(path, data);
  return path;
}

test('emulate --json -v: typed events from listening to the result line, which keeps the summary; human text only on stderr', async () => {
  const image = readFileSync(fixture('photon-user-part.bin'));
  const emulator = await startEmulate(['-p', 'photon', '--listening', '--once', '--json', '-v', ...FAST]);
  const flash = await runCli([emulator.url, fixture('photon-user-part.bin'), '--quiet']);
  assert.equal(flash.code, 0, flash.stderr);
  const { code, stdout, stderr } = await emulator.exited;
  assert.equal(code, 0, stderr);
  const lines = jsonLinesOf(stdout);
  const listening = lines[0]!;
  assert.equal(listening.type, 'listening', 'the first line says where it serves');
  assert.equal(listening.url, emulator.url);
  assert.equal(listening.profile, 'photon');
  assert.equal(listening.mode, 'listening');
  const order = ['listening', 'connect', 'transfer-start', 'transfer-complete'].map((type) => indexOfType(lines, type));
  assert.deepEqual(order, [...order].sort((a, b) => a - b), 'listening, connect, transfer-start, transfer-complete in that order');
  assert.deepEqual(lines[indexOfType(lines, 'transfer-start')], { ...lines[indexOfType(lines, 'transfer-start')], name: 'photon-user-part.bin', size: 4004 });
  assert.equal(lines[indexOfType(lines, 'transfer-complete')]!.sha256, sha256(image));
  const texts = lines.filter((line) => line.type === 'device-text').map((line) => line.text);
  assert.ok(texts.includes('Downloaded file successfully!'), `--verbose: the device's lines as device-text events: ${texts.join(' | ')}`);
  assert.equal(lines.filter((line) => line.type === 'trace').length, 0, 'no trace events without --trace');
  assert.ok(lines.every((line) => line.type === 'result' || typeof line.t === 'number'), 'every event carries t');
  const result = resultOf(stdout);
  assert.equal(result.ok, true);
  assert.equal(result.status, 'accepted');
  assert.equal(result.profile, 'photon');
  assert.equal(result.name, 'photon-user-part.bin');
  assert.equal(result.size, 4004);
  assert.equal(result.address, 0x080c0000);
  assert.equal(result.installedAt, 0x080a0000);
  assert.equal(result.sha256, sha256(image));
  assert.equal(result.transfers, 1);
  assert.equal(typeof result.seconds, 'number');
  assert.match(stderr, /Serving it on tcp:\/\//);
  assert.match(stderr, /^accepted photon-user-part\.bin: 4004 bytes at 0x080C0000, installed at 0x080A0000, sha256 [0-9a-f]{64}$/m, 'the summary line for people, on stderr');
  assert.doesNotMatch(stdout, /Serving it on|accepted photon/);
});

test('emulate --json: a device that cancels ends with result ok:false, why, and exit code 1', async () => {
  const emulator = await startEmulate(['-p', 'ymodem', '--once', '--abort-after', '2', '--json', ...FAST]);
  const flash = await runCli([emulator.url, writeFile('abort.bin', testData(5000, 5)), '-t', 'ymodem', '--quiet']);
  assert.equal(flash.code, 1);
  const { code, stdout } = await emulator.exited;
  assert.equal(code, 1);
  const lines = jsonLinesOf(stdout);
  const failed = lines[indexOfType(lines, 'transfer-failed')]!;
  assert.deepEqual(failed, { ...failed, status: 'failed', reason: 'device-cancelled', name: 'abort.bin' });
  const result = resultOf(stdout);
  assert.deepEqual(result, { ...result, ok: false, status: 'failed', reason: 'device-cancelled', size: 5000, exitCode: 1 });
});

test('emulate --json when the port is taken: the only line is the failure result, with the code and exit code 3', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0 }, resolve));
  try {
    const port = (blocker.address() as AddressInfo).port;
    const run = await runCli(['emulate', '-p', 'ymodem', '--listen', `tcp://127.0.0.1:${port}`, '--json']);
    assert.equal(run.code, 3);
    const lines = jsonLinesOf(run.stdout);
    assert.equal(lines.length, 1, run.stdout);
    assert.deepEqual(lines[0], { ...lines[0], type: 'result', ok: false, code: 'LISTEN_IN_USE', exitCode: 3, profile: 'ymodem' });
    assert.match(run.stderr, /already in use/);
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
});

test('emulate --trace --log: every byte of a 1025-byte YMODEM transfer, from the device side, on stderr and in the log', async () => {
  const log = join(work, 'emulate.log');
  const data = testData(1025, 9);
  const emulator = await startEmulate(['-p', 'ymodem', '--once', '--trace', '--log', log, ...FAST]);
  const flash = await runCli([emulator.url, writeFile('odd.bin', data), '-t', 'ymodem', '--quiet']);
  assert.equal(flash.code, 0, flash.stderr);
  const { code, stdout, stderr } = await emulator.exited;
  assert.equal(code, 0, stderr);
  assert.equal(stdout, `accepted odd.bin: 1025 bytes, sha256 ${sha256(data)}\n`, 'stdout keeps only the summary');
  const lines = traceLines(stderr);
  const said = lines.map((line) => line.said);
  assertInOrder(said, [
    /^tx C$/,
    /^rx SOH 00 FF <header "odd\.bin" 1025 bytes> CRC [0-9A-F]{4}$/,
    /^tx ACK C$/,
    /^rx STX 01 FE <1024 bytes> CRC [0-9A-F]{4}$/,
    /^tx ACK$/,
    /^rx (SOH|STX) 02 FD <(128|1024) bytes> CRC [0-9A-F]{4}$/,
    /^tx ACK$/,
    /^rx EOT$/,
    /^tx (NAK|ACK)/,
    /^rx SOH 00 FF <end of batch> CRC 0000$/,
    /^tx ACK$/,
  ]);
  assert.ok(!said.some((line) => /\(wrong\)|incomplete/.test(line)), 'every block was framed whole, with its CRC checked');
  const times = lines.map((line) => line.seconds);
  assert.deepEqual(times, [...times].sort((a, b) => a - b), 'timestamps never go back');
  const text = readFileSync(log, 'utf8');
  assert.match(text.split('\n')[1]!, /^# serial-flash emulate -p ymodem --once --trace --log /);
  assert.deepEqual(traceLines(text).map((line) => line.said), said, 'the log holds the same trace');
  assert.match(text, /· receiving odd\.bin, 1025 bytes/, 'and the activity');
  assert.match(text, /accepted odd\.bin: 1025 bytes, sha256/, 'and the summary');
});

test('emulate --json --trace: trace events hold every byte both ways (the file arrives in the rx bytes), and stderr has no trace lines', async () => {
  const data = testData(3000, 4);
  const emulator = await startEmulate(['-p', 'uboot', '--once', '--json', '--trace', ...FAST]);
  const flash = await runCli([emulator.url, writeFile('kernel.bin', data), '-t', 'uboot', '-a', '0x81000000', '--quiet']);
  assert.equal(flash.code, 0, flash.stderr);
  const { code, stdout, stderr } = await emulator.exited;
  assert.equal(code, 0, stderr);
  const lines = jsonLinesOf(stdout);
  const traces = lines.filter((line) => line.type === 'trace') as (JsonLine & { direction: string; hex: string; description?: string })[];
  const bytes = (direction: string) => Buffer.concat(traces.filter((line) => line.direction === direction).map((line) => Buffer.from(line.hex, 'hex')));
  const fromHost = bytes('rx');
  assert.match(fromHost.toString('latin1'), /loady 0x81000000/, 'the trigger is in what the host sent');
  for (let offset = 0; offset < data.length; offset += 1024) {
    const slice = data.subarray(offset, Math.min(offset + 1024, data.length));
    assert.ok(fromHost.includes(slice), `bytes ${offset}… of the file are in the rx trace`);
  }
  assert.match(bytes('tx').toString('latin1'), /=> /, 'the prompt is in what the device sent');
  assert.ok(traces.some((line) => line.direction === 'rx' && line.description === 'EOT'), 'EOT named');
  assert.ok(traces.some((line) => line.direction === 'tx' && line.description === 'ACK'), 'ACK named');
  assert.equal(traceLines(stderr).length, 0, 'in JSON mode the trace is in the JSON');
  const result = resultOf(stdout);
  assert.deepEqual(result, { ...result, ok: true, status: 'accepted', address: 0x81000000, size: 3000, sha256: sha256(data) });
});
