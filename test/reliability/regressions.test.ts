/**
 * Bugs the fault matrix found, each pinned by one deterministic run against a virtual device:
 * the exact fault at the exact moment, and what serial-flash must say about it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { ParticleDevice } from '../../src/emulator/particle-device.js';
import type { UBootDevice } from '../../src/emulator/uboot-device.js';
import type { YmodemDevice } from '../../src/emulator/ymodem-device.js';
import { explainParticleFailure } from '../../src/devices/particle/listening-mode.js';
import { DisconnectedError } from '../../src/errors.js';
import { CAN, EOT, SOH } from '../../src/protocol/control-bytes.js';
import { fixture } from '../helpers/cli.js';
import { ImageStore } from './images.js';
import { flashVirtual, loseAckAfterEot, loseFirstAck, onBlock, TIME_SCALE } from './virtual-flash.js';

const images = new ImageStore();
const PHOTON_IMAGE = fixture('photon-user-part.bin');
const USER_PART = 0x080a0000;

test('bug: a Photon whose final ACK was lost installed the image, yet serial-flash said it disconnected and kept its previous firmware', async () => {
  const run = await flashVirtual('photon', PHOTON_IMAGE, {}, {}, (port) => loseAckAfterEot(port, 2));
  try {
    assert.equal(run.error, undefined, run.error?.message);
    const image = readFileSync(PHOTON_IMAGE);
    assert.ok((run.port.device as ParticleDevice).flash.read(USER_PART, image.length).equals(image));
  } finally {
    run.port.close();
  }
});

test("bug: U-Boot's final ACK lost failed the run although its `## Total Size` line showed the whole file in RAM", async () => {
  const { path, data } = images.get('data', 5000);
  const run = await flashVirtual('uboot', path, {}, { target: 'uboot', address: 0x81000000 }, (port) => loseAckAfterEot(port, 2));
  try {
    assert.equal(run.error, undefined, run.error?.message);
    assert.ok((run.port.device as UBootDevice).memory.read(0x81000000, data.length).equals(data));
  } finally {
    run.port.close();
  }
});

test('bug: rb exits before its final ACK arrives; serial-flash sent the closing block 11 times into the shell. Without that ACK it must not claim success either', async () => {
  const { path, data } = images.get('data', 3000);
  const run = await flashVirtual('ymodem', path, {}, { target: 'ymodem' }, (port) => loseAckAfterEot(port, 2));
  try {
    assert.match(run.error?.message ?? '', /acknowledged all 3000 bytes but not the closing block .*most likely has the whole file/);
    assert.ok((run.port.device as YmodemDevice).files.some((file) => file.data.equals(data)));
    const host = run.view.hostBytes();
    const closingBlocks = host.filter((byte, i) => byte === SOH && host[i + 1] === 0 && host[i + 2] === 0xff && i > 200).length;
    assert.equal(closingBlocks, 2, 'the closing block was sent twice at most');
  } finally {
    run.port.close();
  }
});

test('bug: the reason a device gave was taken from the last text line (a stray C, an application log), not the line it printed with its CANs', async () => {
  const run = await flashVirtual('photon', PHOTON_IMAGE, {}, {}, (port) =>
    onBlock(port, 2, () => {
      port.device.send(Buffer.from('C'));
      port.device.abortTransfer('Low battery: update refused');
      port.device.later(60, () => port.device.println('0000000100 [app] INFO: still running'));
    }),
  );
  try {
    assert.equal(run.error?.message, 'The receiver cancelled the transfer and said: "Low battery: update refused".');
  } finally {
    run.port.close();
  }
});

test('bug (soak seed 82): an application log line printed just after a receiver cancelled without a reason was quoted as its reason', async () => {
  const { path } = images.get('data', 4096);
  const run = await flashVirtual('ymodem', path, {}, { target: 'ymodem' }, (port) =>
    onBlock(port, 2, () => {
      port.device.send(Buffer.of(CAN, CAN)); // lrzsz prints its reason on its own terminal, not on the line
      port.device.println('0000005000 [app] INFO: battery 479');
    }),
  );
  try {
    assert.equal(run.error?.message, 'The receiver cancelled the transfer without saying why.');
  } finally {
    run.port.close();
  }
});

test('a reason printed after an application log line in the same burst as the CANs is still the one quoted', async () => {
  const run = await flashVirtual('photon', PHOTON_IMAGE, {}, {}, (port) =>
    onBlock(port, 2, () => {
      port.device.send(Buffer.of(CAN, CAN));
      port.device.println('0000005000 [app] INFO: battery 479');
      port.device.println('Failed to save chunk!');
    }),
  );
  try {
    assert.match(run.error?.message ?? '', /\("Failed to save chunk!"\)/);
    assert.doesNotMatch(run.error!.message, /battery/);
  } finally {
    run.port.close();
  }
});

test('bug (soak seed 19): a receiver that restarted right after ACKing the last block ACKed a stray EOT and the closing block, and serial-flash said "Flashed"', async () => {
  const { path } = images.get('data', 128);
  // The receiver restarts as the first EOT reaches it: the EOT is lost in the restart.
  const run = await flashVirtual('ymodem', path, {}, { target: 'ymodem', blockSize: 128 }, (port) => {
    const onHostData = port.device.onHostData.bind(port.device);
    let restarted = false;
    port.device.onHostData = (data: Buffer) => {
      if (!restarted && data.length === 1 && data[0] === EOT) {
        restarted = true;
        port.device.reset('fault');
        return;
      }
      onHostData(data);
    };
  });
  try {
    assert.equal((run.port.device as YmodemDevice).files.length, 0, 'the restarted receiver has no file');
    assert.equal(run.error?.code, 'EOT_UNCONFIRMED', run.error?.message ?? 'a false success');
    assert.match(run.error!.message, /asked for a new file before it confirmed the end of this one \(it may have restarted\)/);
  } finally {
    run.port.close();
  }
});

test('bug: a silent Device OS 0.4 receiver whose header ACK was lost (its C still came) was reported as not answering', async () => {
  const run = await flashVirtual('photon', PHOTON_IMAGE, { firmwareVersion: '0.4.x' }, {}, loseFirstAck);
  try {
    assert.equal(run.error, undefined, run.error?.message);
    assert.equal(run.port.device.lastTransfer?.installedAt, USER_PART);
  } finally {
    run.port.close();
  }
});

test('bug: application logs during an unanswered probe turned "the device did not answer" into "Block 0 was not accepted after 1 attempts"', async () => {
  // Device OS 6 ignores 28800 and its application does not read the port: nobody answers.
  const run = await flashVirtual('photon', PHOTON_IMAGE, { firmwareVersion: '6.x', noise: 0.02 });
  try {
    assert.equal(run.error?.code, 'NO_ANSWER', run.error?.message);
    assert.match(run.error!.message, /did not answer: hold MODE/);
  } finally {
    run.port.close();
  }
});

test('bug: a USB-serial adapter unplugged mid-transfer was reported only as "The device disconnected."', async () => {
  const { path } = images.get('data', 10_000);
  const run = await flashVirtual('ymodem', path, {}, { target: 'ymodem' }, (port) => onBlock(port, 3, () => port.binding.remove(port.path)));
  try {
    assert.ok(run.error instanceof DisconnectedError, String(run.error));
    assert.equal(
      run.error.message,
      'The device disconnected after 2048 of 10000 bytes (it reset, or the cable was pulled); the receiver does not have the whole file, so reconnect it and send again.',
    );
    assert.ok(run.ms < 2_000, `noticed at once, not after a timeout (${Math.round(run.ms)} ms)`);
  } finally {
    run.port.close();
  }
});

test('a U-Boot board that restarts mid-transfer is named as the cause, not the cable', async () => {
  const { path } = images.get('data', 10_000);
  const run = await flashVirtual('uboot', path, {}, { target: 'uboot', address: 0x81000000 }, (port) =>
    onBlock(port, 3, () => (port.device as UBootDevice).powerCycle()),
  );
  try {
    assert.equal(run.error?.code, 'DEVICE_RESTARTED', run.error?.message);
    assert.match(run.error!.message, /^The board restarted during the transfer .* after 2048 of 10000 bytes, so the load did not finish;/);
  } finally {
    run.port.close();
  }
});

test('bug: a console that takes 6 s to show its prompt (a board still starting) was given 3 s', async () => {
  const { path, data } = images.get('data', 2000);
  const run = await flashVirtual('uboot', path, { faults: { firstAnswerMs: 6_000 * TIME_SCALE } }, { target: 'uboot', address: 0x81000000 });
  try {
    assert.equal(run.error, undefined, run.error?.message);
    assert.ok((run.port.device as UBootDevice).memory.read(0x81000000, data.length).equals(data));
  } finally {
    run.port.close();
  }
});

test("a Device OS 0.5 header ACK that takes 30 s (the application's consent) is waited for: the dialect's 35 s scales with the device", async () => {
  const run = await flashVirtual('photon', PHOTON_IMAGE, { firmwareVersion: '0.5', eraseMs: 30_000 * TIME_SCALE });
  try {
    assert.equal(run.error, undefined, run.error?.message);
    assert.ok(run.ms >= 30_000 * TIME_SCALE, 'the header ACK really took that long');
  } finally {
    run.port.close();
  }
});

test('bug: a Particle device gone after the closing block was said to keep its previous firmware, though it may be installing the new one', () => {
  const during = explainParticleFailure(new DisconnectedError('gone', { phase: 'data', bytesAcknowledged: 2048, totalBytes: 4004 }), 'device');
  assert.match(during.message, /^The device disconnected after 2048 of 4004 bytes; it keeps its previous firmware/);
  const after = explainParticleFailure(new DisconnectedError('gone', { phase: 'end', bytesAcknowledged: 4004, totalBytes: 4004 }), 'device');
  assert.match(after.message, /^The device disconnected after 4004 of 4004 bytes, before confirming the update; it may have installed it/);
});
