/**
 * Particle devices on the kinds of port that do not say what is behind them: a pseudo-terminal
 * (which carries the line rate, so the 28800 signal works) and a real ser2net RFC 2217 server
 * in front of it (which passes SET-BAUDRATE on to the pty), with the real serial stack.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { ParticleDevice } from '../../src/emulator/particle-device.js';
import { fixture } from '../helpers/cli.js';
import { runMain } from '../helpers/in-process-cli.js';
import { PERL, serveDevice, SER2NET, startSer2net, type ServedDevice } from '../helpers/served-device.js';
import { skipUnless } from '../helpers/system-tools.js';

const TIME_SCALE = 0.05;

/** Flashes the Photon user part through `port` and checks the device put it in place intact. */
async function flashesPhotonThrough(port: string, served: ServedDevice): Promise<void> {
  const image = readFileSync(fixture('photon-user-part.bin'));
  const run = await runMain([port, fixture('photon-user-part.bin'), '--target', 'particle', '--verbose']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /setting 9600 then 28800 baud/);
  const photon = served.device as ParticleDevice;
  assert.equal(photon.lastTransfer?.status, 'accepted');
  assert.ok(photon.flash.read(0x080a0000, image.length).equals(image), 'the user part holds the image byte for byte');
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

test('the same through a real ser2net RFC 2217 server: SET-BAUDRATE reaches the pty, 0xFF bytes cross escaped', { skip: skipUnless(PERL, SER2NET) }, async () => {
  const served = await serveDevice('photon', { timeScale: TIME_SCALE });
  const ser2net = await startSer2net(served.pty).catch(async (error) => {
    await served.close();
    throw error;
  });
  try {
    assert.ok(readFileSync(fixture('photon-user-part.bin')).includes(0xff), 'the image holds 0xFF bytes, which telnet must escape');
    await flashesPhotonThrough(ser2net.url, served);
  } finally {
    await ser2net.close();
    await served.close();
  }
});
