/**
 * A line that echoes what is sent, nobody behind it, with a stray request that crosses the
 * sender's first block: the echo is still recognised and named. On a loaded machine the
 * terminal's stray `C` and the sender's header often pass each other on the wire.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeviceEnd, VirtualWire } from '../../src/emulator/virtual-binding.js';
import { TransferError } from '../../src/errors.js';
import { CRC_REQUEST } from '../../src/protocol/control-bytes.js';
import { FileSender } from '../../src/protocol/file-sender.js';
import { bufferBlockSource, openVirtualStream, testData } from '../helpers/virtual-link.js';

const FAST = { startTimeoutMs: 1500, responseTimeoutMs: 300, headerAckTimeoutMs: 300, finalAckTimeoutMs: 300, eotGraceMs: 100 };

/** Echoes every byte; says `C` once at the start and once more just before the first echo. */
class EchoWithCrossingRequest implements VirtualWire {
  private host: DeviceEnd | undefined;
  private crossed = false;

  onHostOpen(port: DeviceEnd): void {
    this.host = port;
    setTimeout(() => this.host?.send(Buffer.of(CRC_REQUEST)), 5);
  }

  onHostData(data: Buffer): void {
    if (!this.crossed) {
      this.crossed = true;
      this.host?.send(Buffer.of(CRC_REQUEST)); // sent before the header reached this end
    }
    this.host?.send(data);
  }
}

test('a stray request that crosses the header on an echoing line: the echo is still named (LINE_ECHOES), not noise', async () => {
  const link = await openVirtualStream(new EchoWithCrossingRequest());
  try {
    const result = await new FileSender(link.stream, FAST).send(bufferBlockSource(testData(5_000))).catch((e: unknown) => e);
    assert.ok(result instanceof TransferError, String(result));
    assert.equal(result.code, 'LINE_ECHOES', result.message);
    assert.match(result.message, /the line echoes what is sent — a terminal with echo on, or a half-duplex adapter/);
  } finally {
    await link.close();
  }
});
