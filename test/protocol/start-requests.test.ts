/**
 * When the transfer starts: on the receiver's request, not on a `C` in its banner, and not a
 * whole request period late because an application log line followed the request at once.
 * The receiver is the emulator's standard YMODEM receiver behind a device that talks first.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeviceEnd, VirtualWire } from '../../src/emulator/virtual-binding.js';
import { YmodemReceiver, type ReceiverEnd } from '../../src/emulator/ymodem-receiver.js';
import type { FileInfo } from '../../src/protocol/blocks.js';
import { FileSender, type SenderOptions } from '../../src/protocol/file-sender.js';
import { bufferBlockSource, openVirtualStream, testData } from '../helpers/virtual-link.js';

/**
 * A device that prints `before` when the port opens, then (after `readyAfterMs`) starts a
 * standard receiver, whose first request goes out with `withFirstRequest` right behind it.
 * Bytes the host sends before the receiver runs are counted and lost.
 */
class TalkativeDevice implements VirtualWire {
  bytesBeforeReady = 0;
  end: ReceiverEnd | undefined;
  readonly data: Buffer[] = [];
  private receiver: YmodemReceiver | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly script: {
      before: string;
      readyAfterMs: number;
      withFirstRequest?: string;
      requestIntervalMs: number;
      /** A line printed this long after each request, until the transfer starts: [text, ms]. */
      betweenRequests?: [string, number];
    },
  ) {}

  onHostOpen(port: DeviceEnd): void {
    if (this.script.before) port.send(Buffer.from(this.script.before, 'latin1'));
    this.timer = setTimeout(() => this.startReceiver(port), this.script.readyAfterMs);
  }

  onHostData(data: Buffer): void {
    if (this.receiver) this.receiver.feed(data);
    else this.bytesBeforeReady += data.length;
  }

  onHostClose(): void {
    clearTimeout(this.timer);
    this.receiver?.stop();
  }

  private startReceiver(port: DeviceEnd): void {
    let first = true;
    this.receiver = new YmodemReceiver({
      dialect: 'strict',
      requestIntervalMs: this.script.requestIntervalMs,
      send: (bytes) => {
        port.send(bytes);
        if (first && this.script.withFirstRequest) port.send(Buffer.from(this.script.withFirstRequest, 'latin1'));
        first = false;
        const [text, afterMs] = this.script.betweenRequests ?? [];
        if (text !== undefined && bytes.length === 1 && bytes[0] === 0x43 && this.data.length === 0) {
          setTimeout(() => port.send(Buffer.from(text, 'latin1')), afterMs);
        }
      },
      store: {
        beginFile: async (_file: FileInfo) => undefined,
        writeBlock: async (_offset, data) => void this.data.push(Buffer.from(data)),
      },
      onEnd: (end) => (this.end = end),
    });
    this.receiver.start();
  }
}

async function send(device: TalkativeDevice, options: SenderOptions) {
  const link = await openVirtualStream(device);
  const data = testData(3000, 7);
  try {
    const sender = new FileSender(link.stream, { startTimeoutMs: 5_000, responseTimeoutMs: 1_000, headerAckTimeoutMs: 1_000, eotGraceMs: 1_000, ...options });
    const result = await sender.send(bufferBlockSource(data)).catch((error: unknown) => error as Error);
    return { result, data };
  } finally {
    await link.close();
  }
}

test('a banner ending in a lone C is not a start when two requests in a row are asked for', async () => {
  // The ROM prints its banner, pauses, and only then asks (every 100 ms).
  const device = new TalkativeDevice({ before: 'BootROM 2.1 rev C', readyAfterMs: 300, requestIntervalMs: 100 });
  const { result, data } = await send(device, { dialect: { startRequests: 2 } });
  assert.ok(!(result instanceof Error), String(result));
  assert.equal(device.bytesBeforeReady, 0, 'nothing was sent before the receiver asked');
  assert.equal(device.end?.kind, 'complete');
  assert.deepEqual(Buffer.concat(device.data).subarray(0, data.length), data);
});

test('with one request enough (the default), the same banner C starts the transfer too early', async () => {
  // What startRequests guards against: the header goes out into a device that is not listening.
  const device = new TalkativeDevice({ before: 'BootROM 2.1 rev C', readyAfterMs: 300, requestIntervalMs: 100 });
  await send(device, { headerAckTimeoutMs: 200 });
  assert.ok(device.bytesBeforeReady > 0);
});

test('a C followed at once by an application log line is still a request: no wait for the next one', async () => {
  // The next request would come 60 s later, far beyond the start timeout.
  const device = new TalkativeDevice({
    before: '0000000100 [app] INFO: starting\r\n',
    readyAfterMs: 50,
    withFirstRequest: '0000000200 [app] INFO: sensor reading 42\r\n',
    requestIntervalMs: 60_000,
  });
  const { result, data } = await send(device, {});
  assert.ok(!(result instanceof Error), String(result));
  assert.equal(device.end?.kind, 'complete');
  assert.deepEqual(Buffer.concat(device.data).subarray(0, data.length), data);
});

test('with --start-requests, a receiver that prints a line between its requests still starts: text does not break the count', async () => {
  // Each request stands alone (quiet after it); the line comes 60 ms later, the next C 200 ms later.
  const device = new TalkativeDevice({ before: '', readyAfterMs: 10, requestIntervalMs: 200, betweenRequests: ['waiting for the file...\r\n', 60] });
  const { result, data } = await send(device, { dialect: { startRequests: 3 } });
  assert.ok(!(result instanceof Error), String(result));
  assert.equal(device.end?.kind, 'complete');
  assert.deepEqual(Buffer.concat(device.data).subarray(0, data.length), data);
});
