/**
 * Receiver dialects as the sender meets them: the emulated U-Boot sends no `C` after the
 * header's ACK (as the real one does), so a sender that waited for one would stall there.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startVirtualPort } from '../../src/emulator/index.js';
import { flash } from '../../src/flash/flash.js';
import type { UBootDevice } from '../../src/emulator/uboot-device.js';
import { testData } from '../helpers/virtual-link.js';

const work = mkdtempSync(join(tmpdir(), 'serial-flash-dialect-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('into U-Boot, block 1 follows the header ACK at once: no wait for a C it never sends', async () => {
  // The device's own timeouts are stretched so that only the sender could end a wait; the
  // flash is cancelled long before the 60 s answer timeout it would otherwise sit out.
  const port = startVirtualPort('uboot', { timeScale: 20 });
  const file = join(work, 'kernel.bin');
  const data = testData(5000, 3);
  writeFileSync(file, data);
  try {
    const outcome = await flash({
      file,
      port: port.path,
      target: 'uboot',
      address: 0x82000000,
      binding: port.binding,
      responseTimeoutMs: 60_000,
      signal: AbortSignal.timeout(20_000),
    });
    assert.equal(outcome.ok, true);
    assert.deepEqual((port.device as UBootDevice).memory.read(0x82000000, data.length), data);
  } finally {
    port.close();
  }
});
