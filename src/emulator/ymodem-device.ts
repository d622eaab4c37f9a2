/**
 * A bare standard YMODEM receiver on a serial line, like lrzsz `rb` started in a loop on the
 * far side (or, with `protocol: 'xmodem'`, a boot ROM's XMODEM loader asking every second):
 * it asks for a header with `C` as soon as the host opens the port, checks every
 * CRC, keeps each file truncated to the header's size. While nothing comes it keeps asking
 * (a new `rb` starts when one gives up). Like `rb` it goes quiet after its batch;
 * the next time the host opens the port a new session starts (unless `once`).
 */
import type { FileInfo } from '../protocol/blocks.js';
import { sha256, VirtualDevice, type BaseDeviceOptions } from './virtual-device.js';
import type { DeviceEnd } from './virtual-binding.js';
import { YmodemReceiver, type ReceiverEnd, type ReceiverStore } from './ymodem-receiver.js';

/** Boot ROMs ask for their image about once a second. */
export const BOOT_ROM_REQUEST_INTERVAL_MS = 1_000;

export interface ReceivedFile {
  name: string;
  /** The size the header announced (NaN when it gave none). */
  size: number;
  data: Buffer;
  sha256: string;
}

export interface YmodemDeviceOptions extends BaseDeviceOptions {
  /** 8-bit checksum mode (asks with NAK) instead of CRC-16. */
  checksum?: 'crc16' | 'sum8';
  /** One session only, ever (default: a new session each time the host opens the port). */
  once?: boolean;
  /** 'xmodem': a boot ROM's loader, asking every second until block 1 and keeping the padding. */
  protocol?: 'ymodem' | 'xmodem';
  /** Refuse files larger than this (CAN CAN), like a receiver with a full disk. */
  maxFileBytes?: number;
}

class FileCollector implements ReceiverStore {
  current: { info: FileInfo; chunks: Buffer[]; length: number } | undefined;
  readonly done: ReceivedFile[] = [];

  constructor(private readonly maxFileBytes: number | undefined) {}

  async beginFile(info: FileInfo): Promise<string | undefined> {
    if (this.maxFileBytes !== undefined && info.size > this.maxFileBytes) return `${info.size} bytes is more than ${this.maxFileBytes}`;
    this.current = { info, chunks: [], length: 0 };
    return undefined;
  }

  async writeBlock(offset: number, data: Buffer): Promise<string | undefined> {
    const file = this.current!;
    if (offset !== file.length) return `block at offset ${offset} does not follow ${file.length}`;
    file.chunks.push(Buffer.from(data));
    file.length += data.length;
    return undefined;
  }

  async endFile(): Promise<void> {
    const file = this.current;
    if (!file) return;
    const data = Buffer.concat(file.chunks);
    this.done.push({ name: file.info.name, size: file.info.size, data, sha256: sha256(data) });
    this.current = undefined;
  }
}

export class YmodemDevice extends VirtualDevice {
  readonly profile = 'ymodem';
  private readonly collector: FileCollector;
  private sessions = 0;
  private sessionFirstFile = 0;

  constructor(private readonly options: YmodemDeviceOptions = {}) {
    super(options);
    this.collector = new FileCollector(options.maxFileBytes);
  }

  get mode(): string {
    return this.receiving ? 'receiving' : 'idle';
  }

  /** Every file received completely, in order. */
  get files(): readonly ReceivedFile[] {
    return this.collector.done;
  }

  override onHostOpen(port: DeviceEnd): void {
    super.onHostOpen(port);
    if (!this.receiving && !(this.options.once && this.sessions > 0)) this.startSession();
  }

  /** The host went away: this `rb` is abandoned; the next open starts a fresh one. */
  override onHostClose(): void {
    super.onHostClose();
    this.halt();
  }

  protected receive(data: Buffer): void {
    this.receiver?.feed(data);
  }

  protected boot(): void {
    this.sessions = 0;
    if (this.end) this.startSession();
  }

  protected override get portVanishesOnReset(): boolean {
    return false; // behind a USB-UART adapter, like the board running `rb`
  }

  private startSession(): void {
    this.sessions++;
    this.sessionFirstFile = this.collector.done.length;
    this.receiver = new YmodemReceiver({
      dialect: this.options.protocol === 'xmodem' ? 'xmodem' : 'strict',
      asksUntilFirstHeader: true,
      ...(this.options.protocol === 'xmodem' ? { requestIntervalMs: BOOT_ROM_REQUEST_INTERVAL_MS * this.timeScale } : {}),
      checksum: this.options.checksum,
      timeScale: this.timeScale,
      byteTimeoutMs: this.options.receiverTimeoutMs,
      send: (bytes) => this.send(bytes),
      store: this.collector,
      transformFrame: this.frameHook,
      onEvent: (event) => {
        if (event.type === 'header') this.emit('transfer-start', { name: event.file.name, size: event.file.size });
        else if (event.type === 'block') this.emit('block', { sequence: event.sequence, offset: event.offset, size: event.size });
      },
      onEnd: (end) => this.onSessionEnd(end),
    });
    this.receiver.start();
  }

  private onSessionEnd(end: ReceiverEnd): void {
    this.receiver = undefined;
    if (end.kind === 'complete') {
      const fresh = this.collector.done.slice(this.sessionFirstFile);
      for (const file of fresh) this.record({ status: 'accepted', name: file.name, size: file.data.length, sha256: file.sha256 });
    } else {
      const current = this.collector.current?.info;
      this.collector.current = undefined;
      this.record({
        status: end.kind === 'refused' ? 'refused' : 'failed',
        reason: end.kind,
        ...(current ? { name: current.name, size: current.size } : {}),
      });
    }
    // Like `rb`, which exits after its batch: the next session starts when the host opens the port again.
  }
}
