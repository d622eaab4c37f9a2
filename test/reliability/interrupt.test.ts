/**
 * Ctrl-C and SIGTERM sent to a real serial-flash process in the middle of a transfer to a
 * virtual device (test/helpers/virtual-device-cli.ts): the device is told to abort at a block
 * boundary, the port is closed at a harmless rate, the user is told what happened, exit 130.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { HarnessReport, HarnessSpec } from '../helpers/virtual-device-cli.js';
import { ImageStore } from './images.js';
import { tempDir } from '../helpers/temp-dir.js';

const HARNESS = fileURLToPath(new URL('../helpers/virtual-device-cli.js', import.meta.url));
const images = new ImageStore();
/** Each block takes this long to write, so a 50 KB image takes a couple of seconds: time to interrupt it. */
const SLOW_WRITE_MS = 40;
const DEVICE = { timeScale: 0.05, writeMs: SLOW_WRITE_MS };

interface Child {
  process: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

function startHarness(spec: HarnessSpec, args: string[]): Child {
  const child = spawn(process.execPath, [HARNESS, JSON.stringify(spec), '--', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
    for (const wake of waiters) wake();
  });
  child.stdout!.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  void exited.then(() => clearTimeout(killer));
  return {
    process: child,
    stderr: () => stderr,
    exited,
    waitFor: (pattern, timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!pattern.test(stderr)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${pattern} on stderr within ${timeoutMs} ms:\n${stderr}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
  };
}

function reportPath(): string {
  return join(tempDir('interrupt'), 'report.json');
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} in the middle of a Photon transfer: CAN CAN at a block boundary, port closed at 9600 baud, "cancelled", exit 130`, async () => {
    const image = images.get('photon', 50_001);
    const report = reportPath();
    const child = startHarness({ profile: 'photon', device: DEVICE, report }, ['/dev/virtual-photon', image.path]);
    await child.waitFor(/stored block 5\n/);
    child.process.kill(signal);
    const { code } = await child.exited;
    assert.equal(code, 130, child.stderr());
    assert.match(child.stderr(), /cancelling( on SIGTERM)?: telling the device to discard the transfer/);
    // How to quit at once names the signal that was sent: a script that sent SIGTERM has no Ctrl-C.
    assert.match(child.stderr(), signal === 'SIGINT' ? /\(press Ctrl-C again to quit at once\)/ : /cancelling on SIGTERM: .*\(send SIGTERM again to quit at once\)$/m);
    assert.match(child.stderr(), /serial-flash: The transfer was cancelled after \d+ of 50001 bytes; the device was told to discard it and keeps its previous firmware\.\n/);
    assert.doesNotMatch(child.stderr(), /\n\s+at /, 'no stack trace');
    const seen = JSON.parse(readFileSync(report, 'utf8')) as HarnessReport;
    assert.equal(seen.framing.problem, undefined, 'every byte the device heard belongs to a whole block or the final CANs');
    assert.ok(seen.framing.cans >= 2, `the device heard CAN CAN (${seen.framing.cans})`);
    assert.ok(seen.framing.frames >= 6, 'the CANs came after the blocks already sent, not inside one');
    assert.equal(seen.bytesAfterLastBlock, seen.framing.cans, 'nothing but CANs after the last block');
    assert.ok(seen.hostCloses >= 1, 'the port was closed');
    assert.equal(seen.lineCodings.at(-1), 9600, `left at a harmless rate (${seen.lineCodings.join(' → ')})`);
    assert.equal(seen.transfers.at(-1)?.status, 'failed', 'the device discarded the transfer');
    assert.notEqual(seen.mode, 'receiving');
  });
}

test('bug: on a paced line (a UART at its baud rate) the CANs were still queued when the port closed; SIGTERM now gets them to the receiver between blocks', async () => {
  const image = images.get('data', 60_000);
  const report = reportPath();
  const child = startHarness({ profile: 'ymodem', device: { ...DEVICE, bytesPerSecond: 20_000 }, report }, ['/dev/virtual-ymodem', image.path, '--target', 'ymodem']);
  await child.waitFor(/stored block 10\n/);
  child.process.kill('SIGTERM');
  const { code } = await child.exited;
  assert.equal(code, 130, child.stderr());
  assert.match(child.stderr(), /The transfer was cancelled after \d+ of 60000 bytes; the receiver was told to discard it\./);
  const seen = JSON.parse(readFileSync(report, 'utf8')) as HarnessReport;
  assert.equal(seen.framing.problem, undefined);
  assert.ok(seen.framing.cans >= 2);
  assert.ok(seen.hostCloses >= 1);
  assert.deepEqual([...new Set(seen.lineCodings)], [115200], 'the rate was never changed');
  assert.notEqual(seen.transfers.at(-1)?.status, 'accepted');
});

test('a second Ctrl-C quits at once when the orderly stop hangs (a port whose close never returns)', async () => {
  const image = images.get('photon', 50_001);
  const report = reportPath();
  const child = startHarness({ profile: 'photon', device: DEVICE, report, hangOnClose: true }, ['/dev/virtual-photon', image.path]);
  await child.waitFor(/stored block 5\n/);
  child.process.kill('SIGINT');
  await child.waitFor(/press Ctrl-C again to quit at once/);
  const stillRunning = await Promise.race([child.exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 500))]);
  assert.ok(stillRunning, 'the first Ctrl-C waits for the orderly stop');
  const secondAt = performance.now();
  child.process.kill('SIGINT');
  const { code, at } = await child.exited;
  assert.equal(code, 130);
  assert.ok(at - secondAt < 1_000, `exited ${Math.round(at - secondAt)} ms after the second Ctrl-C`);
  assert.equal(existsSync(report), false, 'it did not wait for the orderly path to finish');
});
