/** --trace and --log through the CLI, against virtual devices. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startVirtualPort } from '../../src/emulator/index.js';
import { fixture, runCli } from '../helpers/cli.js';
import { runMain } from '../helpers/in-process-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

const TIME_SCALE = 0.02;
const TRACE_LINE = /^ +(\d+\.\d{3}) (tx|rx) (.+)$/;

function traceLines(text: string): { seconds: number; direction: string; description: string }[] {
  return text
    .split('\n')
    .map((line) => TRACE_LINE.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ seconds: Number(match[1]), direction: match[2]!, description: match[3]! }));
}

const traceDir = () => tempDir('trace');

test('--trace shows the whole conversation with a Photon on stderr, timestamped, in order', async () => {
  const port = startVirtualPort('photon', { timeScale: TIME_SCALE });
  try {
    const run = await runMain([port.path, fixture('photon-user-part.bin'), '--trace'], port.binding);
    assert.equal(run.code, 0, run.stderr);
    const lines = traceLines(run.stderr);
    const said = lines.map((line) => `${line.direction} ${line.description}`);
    const expected = [
      /^tx "f"$/,
      /^rx "Waiting for the binary file to be sent \.\.\. \(press 'a' to abort\)\\r\\n"/,
      /^tx SOH 00 FF <header "photon-user-part\.bin" 4004 bytes> CRC [0-9A-F]{4}$/,
      /^rx ACK C$/,
      /^tx STX 01 FE <1024 bytes> CRC [0-9A-F]{4}$/,
      /^tx STX 04 FB <1024 bytes> CRC [0-9A-F]{4}$/,
      /^tx EOT$/,
      /^tx SOH 00 FF <end of batch> CRC 0000$/,
      /^rx .*"\\r\\nDownloaded file successfully!\\r\\n"/,
    ];
    let at = 0;
    for (const pattern of expected) {
      const found = said.findIndex((line, i) => i >= at && pattern.test(line));
      assert.ok(found >= 0, `${pattern} after line ${at} in:\n${said.join('\n')}`);
      at = found + 1;
    }
    const times = lines.map((line) => line.seconds);
    assert.deepEqual(times, [...times].sort((a, b) => a - b), 'timestamps never go back');
    assert.equal(traceLines(run.stdout).length, 0, 'stdout stays for the human lines');
    assert.match(run.stdout, /Flashed 4004 bytes/);
  } finally {
    port.close();
  }
});

test('--trace names the NAKs of a receiver that sees damaged blocks', async () => {
  const port = startVirtualPort('ymodem', { timeScale: TIME_SCALE, faults: { seed: 7, corrupt: 0.3 } });
  try {
    const run = await runMain([port.path, fixture('photon-user-part.bin'), '-t', 'ymodem', '--trace'], port.binding);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(port.faults.corruptedBlocks > 0, 'the fault was injected');
    const rx = traceLines(run.stderr).filter((line) => line.direction === 'rx').map((line) => line.description);
    assert.ok(rx.some((description) => /\bNAK\b/.test(description)), rx.join('\n'));
  } finally {
    port.close();
  }
});

test('--log FILE: a header, every step, the trace and the result in the file; nothing extra on the terminal', async () => {
  const port = startVirtualPort('photon', { timeScale: TIME_SCALE });
  const log = join(traceDir(), 'flash.log');
  try {
    const run = await runMain([port.path, fixture('photon-user-part.bin'), '--log', log], port.binding);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(traceLines(run.stdout + run.stderr).length, 0, 'no trace on the terminal without --trace');
    const text = readFileSync(log, 'utf8');
    const [first, second] = text.split('\n');
    assert.match(first!, /^# serial-flash \d+\.\d+\.\d+, Node v\d+/);
    assert.equal(second, `# serial-flash ${port.path} ${fixture('photon-user-part.bin')} --log ${log}`);
    assert.match(text, /Target: {2}particle — Photon/, 'the plan, as --verbose shows it');
    assert.match(text, /· sending 'f'/);
    assert.ok(traceLines(text).some((line) => line.description.startsWith('SOH 00 FF <header')));
    assert.match(text, /✔ Flashed 4004 bytes/);
  } finally {
    port.close();
  }
});

test('--log keeps the failure too, with its exit code', async () => {
  const port = startVirtualPort('photon', { timeScale: TIME_SCALE, firmwareVersion: '6.x', listening: true });
  const log = join(traceDir(), 'failed.log');
  try {
    const run = await runMain([port.path, fixture('photon-user-part.bin'), '--log', log], port.binding);
    assert.equal(run.code, 1);
    const text = readFileSync(log, 'utf8');
    assert.match(text, /error \(exit 1\): .*DFU/);
    assert.ok(traceLines(text).some((line) => /CAN CAN/.test(line.description)), 'the cancel is in the trace');
  } finally {
    port.close();
  }
});

test('--json --trace: trace events carry the bytes as hex and the same description', async () => {
  const port = startVirtualPort('photon', { timeScale: TIME_SCALE });
  try {
    const run = await runMain([port.path, fixture('photon-user-part.bin'), '--json', '--trace'], port.binding);
    assert.equal(run.code, 0, run.stderr);
    const events = run.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { type: string; direction?: string; hex?: string; description?: string });
    const traces = events.filter((event) => event.type === 'trace');
    assert.deepEqual(traces[0], { ...traces[0], direction: 'tx', hex: '73', description: '"s"' }, 'the device is asked who it is first');
    assert.ok(traces.some((event) => event.direction === 'rx' && event.hex === '0643' && event.description === 'ACK C'));
    assert.equal(traceLines(run.stderr).length, 0, 'in JSON mode the trace is in the JSON');
  } finally {
    port.close();
  }
});

test('info --trace shows the listening-mode console conversation', async () => {
  const port = startVirtualPort('photon', { timeScale: TIME_SCALE });
  try {
    const run = await runMain(['info', port.path, '--trace'], port.binding);
    assert.equal(run.code, 0, run.stderr);
    const said = traceLines(run.stderr).map((line) => `${line.direction} ${line.description}`);
    assert.ok(said.includes('tx "i"'), said.join('\n'));
    assert.ok(said.some((line) => /^rx .*Your device id is [0-9a-f]{24}/.test(line)), said.join('\n'));
  } finally {
    port.close();
  }
});

test('a log file that cannot be written is a usage error naming the path', async () => {
  const log = join(traceDir(), 'no-such-dir', 'x.log');
  const run = await runCli(['--log', log, '/dev/serial-flash-none', fixture('photon-user-part.bin')]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, new RegExp(`Cannot write the log file ${log.replaceAll('/', '\\/')} \\(ENOENT\\)`));
});
