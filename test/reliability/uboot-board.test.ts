/**
 * A U-Boot board that restarts or gives up at the edges of a load, as the fault matrix found
 * them: what serial-flash must do at the board's console afterwards, and what it must say.
 * U-Boot loads into RAM, which survives a reset: the board holds the image when its memory at
 * the load address holds the bytes, which is what its crc32 reads.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { VirtualPortHandle } from '../../src/emulator/index.js';
import type { UBootDevice } from '../../src/emulator/uboot-device.js';
import type { FlashResult } from '../../src/flash/events.js';
import { ACK, EOT, SOH } from '../../src/protocol/control-bytes.js';
import { ImageStore } from './images.js';
import { runMatrix, scenarioFor } from './matrix.js';
import { flashVirtual, onBlock } from './virtual-flash.js';

const images = new ImageStore();
const ADDRESS = 0x81000000;
const UBOOT = { target: 'uboot', address: ADDRESS };

/** The board resets right after it acknowledged the closing block, before it printed its summary. */
function resetAfterClosingAck(port: VirtualPortHandle): void {
  const device = port.device as UBootDevice;
  let stage: 'data' | 'eot' | 'closing' = 'data';
  const onHostData = device.onHostData.bind(device);
  device.onHostData = (data: Buffer) => {
    if (stage === 'data' && data.includes(EOT)) stage = 'eot';
    else if (stage === 'eot' && data[0] === SOH) stage = 'closing';
    onHostData(data);
  };
  device.addOutputStage((bytes, next) => {
    next(bytes);
    if (stage === 'closing' && bytes.includes(ACK)) {
      stage = 'data';
      device.later(0, () => device.powerCycle());
    }
  });
}

test('bug: a U-Boot board that restarted after the last ACK got crc32 typed into its autoboot countdown, which ate the first letter', async () => {
  const { path, data } = images.get('data', 3000);
  const run = await flashVirtual('uboot', path, {}, UBOOT, resetAfterClosingAck);
  try {
    assert.equal(run.error, undefined, run.error?.message);
    const outcome = run.outcome as FlashResult;
    assert.match(outcome.deviceSummary ?? '', /^the board restarted after the transfer/);
    assert.ok(outcome.verified, 'success only after crc32 of the memory agreed');
    assert.ok((run.port.device as UBootDevice).memory.read(ADDRESS, data.length).equals(data));
    const typed = run.view.hostBytes().toString('latin1');
    assert.match(typed, /\x03(\x03)?crc32 81000000 bb8\r$/, 'Ctrl-C stopped the countdown before crc32 was typed');
    // Stopped as soon as the countdown showed, not after the wait for a summary (3 s, longer
    // than the 2 s countdown): by then the board had run its boot command, by ~50 ms or not.
    assert.doesNotMatch(run.view.deviceBytes().toString('latin1'), /No ethernet found/, 'its boot command did not run');
  } finally {
    run.port.close();
  }
});

test('a U-Boot board that restarts right after its summary is stopped at its prompt before crc32, not left to boot by itself', async () => {
  const { path, data } = images.get('data', 3000);
  const run = await flashVirtual('uboot', path, {}, UBOOT, (port) => {
    const device = port.device as UBootDevice;
    device.on('text', (text) => {
      if (text.startsWith('## Start Addr')) device.powerCycle();
    });
  });
  try {
    assert.equal(run.error, undefined, run.error?.message);
    const outcome = run.outcome as FlashResult;
    assert.match(outcome.deviceSummary ?? '', /^## Total Size .* \(the board restarted after it\)$/);
    assert.ok(outcome.verified);
    assert.ok((run.port.device as UBootDevice).memory.read(ADDRESS, data.length).equals(data));
    assert.doesNotMatch(run.view.deviceBytes().toString('latin1'), /No ethernet found/, 'its boot command did not run');
    assert.match(run.view.hostBytes().toString('latin1'), /\x03(\x03)?crc32 81000000 bb8\r$/);
  } finally {
    run.port.close();
  }
});

test('a U-Boot board that restarted after the last ACK, with --no-verify: not counted as loaded, the user told to check', async () => {
  const { path } = images.get('data', 3000);
  const run = await flashVirtual('uboot', path, {}, { ...UBOOT, verify: false }, resetAfterClosingAck);
  try {
    assert.equal(run.error?.code, 'DEVICE_RESTARTED', run.error?.message);
    assert.match(run.error!.message, /^The board restarted right after the transfer, .* check whether it kept the file with crc32/);
  } finally {
    run.port.close();
  }
});

test('a U-Boot board that restarted with the last block in its memory but unacknowledged: the message says it may have kept the whole file', async () => {
  const { path, data } = images.get('data', 1024);
  const run = await flashVirtual('uboot', path, {}, { ...UBOOT, blockSize: 1024 }, (port) => onBlock(port, 1, () => (port.device as UBootDevice).powerCycle()));
  try {
    assert.equal(run.error?.code, 'DEVICE_RESTARTED', run.error?.message);
    assert.match(run.error!.message, /after 0 of 1024 bytes, so the load did not finish, though its memory may have kept the whole file;/);
    assert.ok((run.port.device as UBootDevice).memory.read(ADDRESS, data.length).equals(data));
  } finally {
    run.port.close();
  }
});

// U-Boot prints why it broke a load off only after 2 s of quiet on the line: at 0.05 of real
// time that falls in the sender's own wait after the CANs, at 0.2 well after it.
for (const timeScale of [0.05, 0.2]) {
  test(`bug: U-Boot breaking a load off was reported "without saying why" though it printed its reason (time scale ${timeScale})`, async () => {
    const { path } = images.get('data', 8192);
    const run = await flashVirtual(
      'uboot',
      path,
      { timeScale, faults: { abortAfterBlocks: 2, abortReason: 'Flash write error at 0x080C0400' } },
      { ...UBOOT, blockSize: 1024, timeScale },
    );
    try {
      assert.equal(run.error?.code, 'RECEIVER_CANCELLED', run.error?.message);
      // It gives up at its next wait: blocks after the second may already be acknowledged.
      assert.match(run.error!.message, /^U-Boot broke off the load after \d+ of 8192 bytes and said: "Flash write error at 0x080C0400"; load it again\.$/);
    } finally {
      run.port.close();
    }
  });
}

test('soak seeds on U-Boot: restarts after the last ACK succeed on a matching crc32, aborts quote the board, nothing lies', async () => {
  // 188, 363: reset after the last ACK (said "false success" while crc32 matched the memory);
  // 405, 853: U-Boot broke off the load (its reason came late, behind noise); 132: the whole
  // file reached memory unacknowledged before a reset.
  const records = await runMatrix([188, 363, 405, 853, 132].map(scenarioFor), { concurrency: 5 });
  for (const record of records) {
    const what = `seed ${record.scenario.seed}: ${record.verdict}, ${record.message ?? ''} ${record.violations.join('; ')}`;
    assert.deepEqual(record.violations, [], what);
    assert.ok(record.verdict === 'success' || record.verdict === 'explained-failure', what);
  }
  // An abort the board gets to only after the last block is no abort: those may succeed.
  assert.deepEqual(
    records.slice(0, 2).map((r) => r.verdict),
    ['success', 'success'],
  );
});
