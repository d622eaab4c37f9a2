/**
 * Particle devices on the kinds of port that do not say what is behind them: a pseudo-terminal
 * (which carries the line rate, so the 28800 signal works) and a real ser2net RFC 2217 server
 * in front of it (which passes SET-BAUDRATE on to the pty), with the real serial stack.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ParticleDevice } from '../../src/emulator/particle-device.js';
import { fixture } from '../helpers/cli.js';
import { runMain } from '../helpers/in-process-cli.js';
import { PERL, serveDevice, SER2NET, startSer2net, type ServedDevice } from '../helpers/served-device.js';
import { skipUnless } from '../helpers/system-tools.js';
import { tempDir } from '../helpers/temp-dir.js';

const TIME_SCALE = 0.05;

/** Flashes the Photon user part through `port` and checks the device put it in place intact. */
async function flashesPhotonThrough(port: string, served: ServedDevice, extra: string[] = []): Promise<string> {
  const image = readFileSync(fixture('photon-user-part.bin'));
  const run = await runMain([port, fixture('photon-user-part.bin'), '--target', 'particle', '--verbose', ...extra]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /setting 9600 then 28800 baud/);
  const photon = served.device as ParticleDevice;
  assert.equal(photon.lastTransfer?.status, 'accepted');
  assert.ok(photon.flash.read(0x080a0000, image.length).equals(image), 'the user part holds the image byte for byte');
  return run.stdout;
}

test('a Photon running its application behind a pty is put in listening mode by the 28800 signal and flashed', { skip: skipUnless(PERL) }, async () => {
  const served = await serveDevice('photon', { timeScale: TIME_SCALE });
  try {
    assert.equal(served.device.mode, 'application');
    await flashesPhotonThrough(served.pty, served);
  } finally {
    await served.close();
  }
});

test('a Photon image is not sent to a device behind a pty that says nothing of itself and waits silently, as a Spark Core on 0.4.x does', { skip: skipUnless(PERL) }, async () => {
  const served = await serveDevice('spark-core', { timeScale: TIME_SCALE });
  try {
    const run = await runMain([served.pty, fixture('photon-user-part.bin')]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /did not say what it is .* so photon-user-part\.bin for the Photon was not sent/);
    assert.match(run.stderr, /--force/);
    // The armed receiver was told to stop (CAN CAN) before any packet: it records a failed transfer, never an image.
    assert.notEqual(served.device.lastTransfer?.status, 'accepted', 'the Core installed nothing');
  } finally {
    await served.close();
  }
});

test('the same through a real ser2net RFC 2217 server: SET-BAUDRATE reaches the pty, 0xFF bytes cross escaped, and --verify works after the restart', { skip: skipUnless(PERL, SER2NET) }, async () => {
  const served = await serveDevice('photon', { timeScale: TIME_SCALE });
  const ser2net = await startSer2net(served.pty).catch(async (error) => {
    await served.close();
    throw error;
  });
  try {
    assert.ok(readFileSync(fixture('photon-user-part.bin')).includes(0xff), 'the image holds 0xFF bytes, which telnet must escape');
    const stdout = await flashesPhotonThrough(ser2net.url, served, ['--verify']);
    assert.match(stdout, /✔ Verified after the restart: user part version 6 installed and valid/);
  } finally {
    await ser2net.close();
    await served.close();
  }
});

test('--verify: after the restart the device is asked again and confirms the user part is installed and valid', { skip: skipUnless(PERL) }, async () => {
  const served = await serveDevice('photon', { timeScale: TIME_SCALE });
  try {
    const run = await runMain([served.pty, fixture('photon-user-part.bin'), '--target', 'particle', '--verify', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { ok: boolean; verified?: { installed: string; seconds: number } };
    assert.equal(result.ok, true);
    assert.equal(result.verified?.installed, 'user part version 6 installed and valid, the same build by its SHA-256');
    assert.ok(result.verified!.seconds > 0);
    assert.ok(served.device.summary().resets >= 1, 'the device restarted in between');
    const human = await runMain([served.pty, fixture('photon-user-part.bin'), '--target', 'particle', '--verify']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /✔ Verified after the restart: user part version 6 installed and valid, the same build by its SHA-256 \(\d+\.\d+ s more\)\./);
  } finally {
    await served.close();
  }
});

test('--verify catches an update the device acknowledged but did not install (Device OS 0.5 does not validate before its ACK)', { skip: skipUnless(PERL) }, async () => {
  const served = await serveDevice('photon', { timeScale: TIME_SCALE, firmwareVersion: '0.5' });
  try {
    const run = await runMain([served.pty, fixture('photon-user-part-bad-crc.bin'), '--target', 'particle', '--force', '--verify']);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /The device restarted and lists no user part; it did not install the image/);
  } finally {
    await served.close();
  }
});

test('bug: --verify said "installed and valid" when the device kept an earlier build of the same version; the suffix SHA-256 tells them apart', { skip: skipUnless(PERL) }, async () => {
  const served = await serveDevice('photon', { timeScale: TIME_SCALE, firmwareVersion: '0.5' });
  try {
    const first = await runMain([served.pty, fixture('photon-user-part.bin'), '--target', 'particle', '--verify']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /✔ Verified after the restart: user part version 6 installed and valid, the same build by its SHA-256/);
    // Another build of version 6 (its suffix SHA-256 differs) whose CRC is wrong: Device OS 0.5
    // ACKs it all and discards it, keeping the first build, which is valid and version 6 too.
    const rebuild = Buffer.from(readFileSync(fixture('photon-user-part.bin')));
    rebuild[rebuild.length - 20] ^= 0xff;
    const file = join(tempDir('verify-sha'), 'photon-user-part-rebuilt.bin');
    writeFileSync(file, rebuild);
    const second = await runMain([served.pty, file, '--target', 'particle', '--force', '--verify']);
    assert.equal(second.code, 1, second.stdout + second.stderr);
    assert.match(second.stderr, /The device restarted and has user part version 6 whose SHA-256 \(\w{12}…\) is not the one in photon-user-part-rebuilt\.bin's suffix \(\w{12}…\), so it keeps another build of that version; it did not install the image/);
    assert.doesNotMatch(second.stdout, /Verified/);
  } finally {
    await served.close();
  }
});

test('--verify is refused before the device is touched where it cannot work: raw TCP, the Spark Core', async () => {
  const overTcp = await runMain(['tcp://127.0.0.1:9', fixture('photon-user-part.bin'), '--verify']);
  assert.equal(overTcp.code, 2, overTcp.stderr);
  assert.match(overTcp.stderr, /--verify is not possible here: a raw TCP bridge cannot pass the 28800-baud signal that puts the restarted device in listening mode; flash without --verify\./);
  const core = await runMain(['tcp://127.0.0.1:9', fixture('core-app-25k-0x08005000.bin'), '--verify']);
  assert.equal(core.code, 2, core.stderr);
  assert.match(core.stderr, /--verify is not possible here: the spark-core target cannot be asked what it runs/);
});
