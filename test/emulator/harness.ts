/**
 * Test-side host for the virtual devices: serialport's real stream over a VirtualBinding, a
 * cursor over everything the device sent, and a hand-rolled minimal YMODEM sender built from
 * the project's block codecs (the real sender is tested elsewhere).
 */
import { SerialPortStream } from '@serialport/stream';
import type { VirtualBinding } from '../../src/emulator/virtual-binding.js';
import { encodeBlock, encodeEndOfBatchBlock, encodeHeaderBlock, type BlockSize, type Checksum } from '../../src/protocol/blocks.js';
import { ACK, CRC_REQUEST, EOT, NAK } from '../../src/protocol/control-bytes.js';

/** Every wait in the tests is bounded so a broken device fails fast instead of hanging. */
export const WAIT_MS = 2_000;
/** Time scale of the devices in tests: 5 s of Device OS timeout becomes 50 ms. */
export const TEST_SCALE = 0.01;

export class Host {
  /** Everything the device sent. */
  raw = Buffer.alloc(0);
  /** Lines matching this are not protocol: `received` leaves them out (application log noise). */
  ignore: RegExp | undefined;
  cursor = 0;
  closed = false;
  closeError: Error | undefined;
  private waiters = new Set<() => void>();

  private constructor(readonly stream: SerialPortStream) {
    stream.on('data', (chunk: Buffer) => {
      this.raw = Buffer.concat([this.raw, chunk]);
      this.wake();
    });
    stream.on('close', (error?: Error) => {
      this.closed = true;
      this.closeError = error ?? undefined;
      this.wake();
    });
    stream.on('error', () => {});
  }

  static async open(binding: VirtualBinding, path: string, baudRate = 115200): Promise<Host> {
    const stream = new SerialPortStream({ binding, path, baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => stream.open((error) => (error ? reject(error) : resolve())));
    return new Host(stream);
  }

  write(bytes: Uint8Array | string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.stream.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes), (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  }

  setBaudRate(baudRate: number): Promise<void> {
    return new Promise((resolve, reject) => this.stream.update({ baudRate }, (error) => (error ? reject(error) : resolve())));
  }

  setDtr(dtr: boolean): Promise<void> {
    return new Promise((resolve, reject) => this.stream.set({ dtr }, (error) => (error ? reject(error) : resolve())));
  }

  /** What the device sent minus ignored lines (each arrives whole, so the view only grows). */
  get received(): Buffer {
    if (!this.ignore) return this.raw;
    return Buffer.from(this.raw.toString('latin1').replace(this.ignore, ''), 'latin1');
  }

  /** Bytes received after the cursor, without moving it. */
  get unread(): Buffer {
    return this.received.subarray(this.cursor);
  }

  get text(): string {
    return this.raw.toString('latin1');
  }

  /** Waits until `pattern` appears after the cursor; moves the cursor past it. */
  async expect(pattern: string | Uint8Array | number, timeoutMs = WAIT_MS): Promise<void> {
    const needle = typeof pattern === 'number' ? Buffer.of(pattern) : typeof pattern === 'string' ? Buffer.from(pattern, 'latin1') : Buffer.from(pattern);
    let at = -1;
    await this.until(() => (at = this.received.indexOf(needle, this.cursor)) >= 0, timeoutMs, `${JSON.stringify(needle.toString('latin1'))}`);
    this.cursor = at + needle.length;
  }

  /** The next byte after the cursor. */
  async nextByte(timeoutMs = WAIT_MS): Promise<number> {
    let view = this.received;
    await this.until(() => (view = this.received).length > this.cursor, timeoutMs, 'a byte');
    return view[this.cursor++]!;
  }

  /** Waits for the device to send exactly these bytes next. */
  async expectNext(bytes: number[], timeoutMs = WAIT_MS): Promise<void> {
    const got: number[] = [];
    for (let i = 0; i < bytes.length; i++) got.push(await this.nextByte(timeoutMs));
    if (got.join(',') !== bytes.join(',')) {
      throw new Error(`expected ${hex(bytes)} but the device sent ${hex(got)} (then ${JSON.stringify(this.unread.toString('latin1'))})`);
    }
  }

  /** Asserts nothing arrives for `ms`. */
  async expectSilence(ms: number): Promise<void> {
    const before = this.raw.length;
    await sleep(ms);
    if (this.raw.length !== before) {
      throw new Error(`expected silence but got ${JSON.stringify(this.raw.subarray(before).toString('latin1'))}`);
    }
  }

  /** True as soon as `condition` holds, false when `timeoutMs` passes first. */
  waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
    return this.until(condition, timeoutMs, 'a condition').then(
      () => true,
      () => false,
    );
  }

  waitClosed(timeoutMs = WAIT_MS): Promise<void> {
    return this.until(() => this.closed, timeoutMs, 'the port to close');
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.stream.isOpen) return resolve();
      this.stream.close(() => resolve());
    });
  }

  private wake(): void {
    for (const waiter of this.waiters) waiter();
  }

  private until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; device sent ${JSON.stringify(this.unread.toString('latin1'))}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }
}

export function hex(bytes: number[] | Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** Polls `condition` (for state that emits no bytes, such as a port coming back). */
export async function eventually(condition: () => boolean, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface SendOptions {
  blockSize?: BlockSize;
  checksum?: Checksum;
  /** Standard receivers NAK the first EOT; Device OS ACKs it at once. */
  eotNakFirst?: boolean;
}

/** Sends one file as a minimal YMODEM sender would, asserting each answer. Assumes `C` was seen. */
export async function sendFile(host: Host, name: string, data: Buffer, options: SendOptions = {}): Promise<void> {
  const checksum = options.checksum ?? 'crc16';
  const blockSize = options.blockSize ?? 1024;
  await host.write(encodeHeaderBlock({ name, size: data.length }, checksum));
  await host.expectNext([ACK, checksum === 'crc16' ? CRC_REQUEST : NAK]);
  for (let offset = 0, sequence = 1; offset < data.length; offset += blockSize, sequence++) {
    await host.write(encodeBlock(sequence, data.subarray(offset, offset + blockSize), blockSize, checksum));
    await host.expectNext([ACK]);
  }
  await endFile(host, options);
}

/** EOT (NAK-then-EOT for standard receivers), then the end-of-batch block, asserting each answer. */
export async function endFile(host: Host, options: Omit<SendOptions, 'blockSize'> = {}): Promise<void> {
  const checksum = options.checksum ?? 'crc16';
  await host.write(Buffer.of(EOT));
  if (options.eotNakFirst) {
    await host.expectNext([NAK]);
    await host.write(Buffer.of(EOT));
    await host.expectNext([ACK, checksum === 'crc16' ? CRC_REQUEST : NAK]);
  } else {
    await host.expectNext([ACK]);
  }
  await host.write(encodeEndOfBatchBlock(checksum));
  await host.expectNext([ACK]);
}

export { testData } from '../helpers/test-data.js';
