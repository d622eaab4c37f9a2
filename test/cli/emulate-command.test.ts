/**
 * `serial-flash emulate` as users run it: a child process serving tcp:// (and a pty), flashed
 * by the CLI in another child process, by lrzsz `sb` through socat, and stopped by --once or
 * Ctrl-C with its one-line summary or its JSON result line.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fixture, runCli } from '../helpers/cli.js';
import { resultOf, startEmulate } from '../helpers/emulate.js';
import { LRZSZ, SOCAT, skipUnless } from '../helpers/system-tools.js';
import { testData } from '../helpers/virtual-link.js';

/** Device timings at 5% of the real ones. */
const FAST = ['--time-scale', '0.05'];
const work = mkdtempSync(join(tmpdir(), 'serial-flash-emulate-'));
after(() => rmSync(work, { recursive: true, force: true }));

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

test('serial-flash tcp://… flashes a listening virtual Photon; emulate --once --json --image reports and keeps what it installed', async () => {
  const out = join(work, 'photon-received.bin');
  const emulator = await startEmulate(['--profile', 'photon', '--listening', '--listen', 'tcp://127.0.0.1:0', '--once', '--json', '--image', out, ...FAST]);
  const flash = await runCli([emulator.url, fixture('photon-user-part.bin')]);
  assert.equal(flash.code, 0, flash.stderr);
  assert.match(flash.stdout, /cannot pass a line-rate change on to the device/);
  assert.match(flash.stdout, /Flashed 4004 bytes to tcp:\/\/127\.0\.0\.1:\d+ at 0x080A0000 \(particle\)/);
  const { code, stdout, stderr } = await emulator.exited;
  assert.equal(code, 0, stderr);
  const image = readFileSync(fixture('photon-user-part.bin'));
  const summary = resultOf(stdout);
  assert.equal(summary.ok, true);
  assert.equal(summary.status, 'accepted');
  assert.equal(summary.profile, 'photon');
  assert.equal(summary.name, 'photon-user-part.bin');
  assert.equal(summary.size, 4004);
  assert.equal(summary.address, 0x080c0000);
  assert.equal(summary.installedAt, 0x080a0000);
  assert.equal(summary.sha256, sha256(image));
  assert.equal(summary.image, out);
  assert.ok(readFileSync(out).equals(image), '--image holds the file byte for byte');
});

test('the human summary is one line: accepted, name, size, address, SHA-256', async () => {
  const emulator = await startEmulate(['-p', 'uboot', '--once', ...FAST]);
  const file = join(work, 'kernel.bin');
  const data = testData(3000, 3);
  writeFileSync(file, data);
  const flash = await runCli([emulator.url, file, '-t', 'uboot', '-a', '0x81000000', '--quiet']);
  assert.equal(flash.code, 0, flash.stderr);
  const { code, stdout } = await emulator.exited;
  assert.equal(code, 0);
  assert.equal(stdout, `accepted kernel.bin: 3000 bytes at 0x81000000, sha256 ${sha256(data)}\n`);
});

test('a device that cancels after 2 blocks: the flash fails, emulate --once says why and exits 1', async () => {
  const emulator = await startEmulate(['-p', 'ymodem', '--once', '--abort-after', '2', ...FAST]);
  const file = join(work, 'abort.bin');
  writeFileSync(file, testData(5000, 5));
  const flash = await runCli([emulator.url, file, '-t', 'ymodem']);
  assert.equal(flash.code, 1);
  const { code, stdout } = await emulator.exited;
  assert.equal(code, 1);
  assert.match(stdout, /^failed: the device cancelled \(abort\.bin, 5000 bytes\)\n$/);
});

test('Ctrl-C with nothing received: "no transfer", exit 0', async () => {
  const emulator = await startEmulate(['-p', 'ymodem']);
  emulator.interrupt();
  const { code, stdout } = await emulator.exited;
  assert.equal(code, 0);
  assert.equal(stdout, 'no transfer: nothing was received\n');
});

test('options the profile cannot use are refused with exit 2', async () => {
  const run = await runCli(['emulate', '-p', 'ymodem', '--erase-ms', '100']);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /--erase-ms applies to the photon, p1, electron, spark-core profiles, not ymodem\./);
  const badVersion = await runCli(['emulate', '-p', 'photon', '--firmware-version', '0.3.5']);
  assert.equal(badVersion.code, 2);
  assert.match(badVersion.stderr, /--firmware-version takes 0\.4\.x, 0\.5, 0\.6\.1\+, 6\.x or a Device OS version/);
});

test('--pty without socat says how to install it', async () => {
  const run = await runCli(['emulate', '--pty'], { env: { PATH: '/nonexistent' } });
  assert.equal(run.code, 2);
  assert.match(run.stderr, /needs socat: apt-get install socat \(or brew install socat\)/);
});

const skipPty = skipUnless(SOCAT);

for (const [profile, args, file] of [
  ['uboot', ['-t', 'uboot', '-a', '0x81000000'], 'core-app-0x08005000.bin'],
  ['photon', [], 'photon-user-part.bin'],
] as const) {
  test(`--pty: the CLI flashes a virtual ${profile} through a real pseudo-terminal (native binding)`, { skip: skipPty }, async () => {
    const emulator = await startEmulate(['-p', profile, '--pty', '--once', '--json', ...(profile === 'photon' ? ['--listening'] : []), ...FAST]);
    assert.ok(emulator.pty && existsSync(emulator.pty), 'the pty path exists');
    const flash = await runCli([emulator.pty!, fixture(file), ...args]);
    assert.equal(flash.code, 0, flash.stderr);
    const { code, stdout } = await emulator.exited;
    assert.equal(code, 0);
    const summary = resultOf(stdout);
    assert.equal(summary.status, 'accepted');
    assert.equal(summary.sha256, sha256(readFileSync(fixture(file))));
    assert.equal(existsSync(emulator.pty!), false, 'the pty is gone after exit');
  });
}

test('--pty serves one program after another: each open is a new session', { skip: skipPty }, async () => {
  const emulator = await startEmulate(['-p', 'ymodem', '--pty', '--json', ...FAST]);
  const files = [testData(2000, 1), testData(129, 2)].map((data, i) => {
    const path = join(work, `pty-${i}.bin`);
    writeFileSync(path, data);
    return path;
  });
  for (const file of files) {
    // The next socat makes the pty again a moment after the previous program closed it.
    const flash = await runCli([emulator.pty!, file, '-t', 'ymodem', '--quiet', '--wait', '5']);
    assert.equal(flash.code, 0, flash.stderr);
  }
  emulator.interrupt();
  const { code, stdout } = await emulator.exited;
  assert.equal(code, 0);
  const summary = resultOf(stdout);
  assert.equal(summary.transfers, 2);
  assert.equal(summary.name, 'pty-1.bin');
  assert.equal(summary.sha256, sha256(testData(129, 2)));
});

const skipSb = skipUnless(SOCAT, LRZSZ);

for (const size of [1, 1025, 70_001]) {
  test(`sb --ymodem -k → emulate --profile ymodem --once --image: a ${size}-byte file arrives intact over TCP`, { skip: skipSb }, async () => {
    const dir = mkdtempSync(join(work, 'sb-'));
    const file = join(dir, `payload-${size}.bin`);
    const out = join(dir, 'out.bin');
    const data = testData(size, size + 11);
    writeFileSync(file, data);
    const emulator = await startEmulate(['--profile', 'ymodem', '--listen', 'tcp://127.0.0.1:0', '--once', '--image', out]);
    // socat joins sb's stdin/stdout to the TCP port, as sb would run on a serial line.
    const socat = spawn('socat', [`TCP:${emulator.hostPort}`, `EXEC:sb --ymodem -k ${file}`], { stdio: 'ignore' });
    const socatCode = await new Promise<number | null>((resolve) => socat.on('close', resolve));
    assert.equal(socatCode, 0, 'sb reported success');
    const { code, stdout } = await emulator.exited;
    assert.equal(code, 0);
    assert.equal(stdout, `accepted payload-${size}.bin: ${size} byte${size === 1 ? '' : 's'}, sha256 ${sha256(data)}, written to ${out}\n`);
    assert.ok(readFileSync(out).equals(data), 'out.bin is identical to the file sb sent');
  });
}
