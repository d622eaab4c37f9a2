import { once } from 'node:events';
/**
 * The strict receivers against a real, independent sender: lrzsz `sb`, bridged in-process
 * (its stdout into the device, the device's output into its stdin). Skipped where sb is
 * not installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVirtualDevice } from '../../src/emulator/index.js';
import type { UBootDevice } from '../../src/emulator/uboot-device.js';
import type { YmodemDevice } from '../../src/emulator/ymodem-device.js';
import type { VirtualDevice } from '../../src/emulator/virtual-device.js';
import { testData } from './harness.js';

const SB = '/usr/bin/sb';
/** sb on a pipe with no delays finishes a few KB in well under a second; 10 s means it hung. */
const SB_DEADLINE_MS = 10_000;

/** Runs `sb` with its stdio wired to the device; resolves with its exit code. */
function runSb(device: VirtualDevice, args: string[], before?: (write: (text: string) => void) => void): Promise<number | null> {
  const sb = spawn(SB, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  device.onHostOpen({
    send: (data) => {
      if (!sb.stdin.destroyed) sb.stdin.write(Buffer.from(data));
    },
    disconnect: () => sb.stdin.end(),
  });
  before?.((text) => device.onHostData(Buffer.from(text, 'latin1')));
  sb.stdout.on('data', (chunk: Buffer) => device.onHostData(chunk));
  sb.stdin.on('error', () => {});
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sb.kill();
      reject(new Error('sb did not finish'));
    }, SB_DEADLINE_MS);
    sb.on('close', (code) => {
      clearTimeout(timer);
      device.onHostClose();
      resolve(code);
    });
  });
}

for (const size of [1, 128, 1025, 70_000]) {
  test(`lrzsz sb --ymodem -k delivers a ${size}-byte file to the ymodem profile`, { skip: !existsSync(SB) }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sf-sb-'));
    const { device } = createVirtualDevice('ymodem', { once: true });
    try {
      const data = testData(size, size);
      const file = join(dir, `payload-${size}.bin`);
      writeFileSync(file, data);
      const code = await runSb(device, ['--ymodem', '-k', file]);
      assert.equal(code, 0);
      const received = (device as YmodemDevice).files;
      assert.equal(received.length, 1);
      assert.equal(received[0]!.name, `payload-${size}.bin`);
      assert.deepEqual(received[0]!.data, data);
    } finally {
      device.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('lrzsz sb delivers to U-Boot loady at the given address', { skip: !existsSync(SB) }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-sb-'));
  // sb waits for a C after the header's ACK; U-Boot sends none until its own block wait ends
  // (4.25 s, a tenth of it here), as the real one does.
  const { device } = createVirtualDevice('uboot', { timeScale: 0.1 });
  try {
    const data = testData(5000, 9);
    const file = join(dir, 'image.bin');
    writeFileSync(file, data);
    const code = await runSb(device, ['--ymodem', '-k', file], (write) => write('loady 0x82000000\r'));
    assert.equal(code, 0);
    assert.deepEqual((device as UBootDevice).memory.read(0x82000000, data.length), data);
    // U-Boot prints its summary (and records the load) 0.25 s after its last ACK, when sb has gone.
    if (device.summary().transfers.length === 0) await once(device, 'transfer-complete');
    assert.equal(device.summary().transfers[0]!.status, 'accepted');
  } finally {
    device.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
