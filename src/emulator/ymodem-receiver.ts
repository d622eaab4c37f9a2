/**
 * The receiving end of YMODEM (and XMODEM), fed host bytes and emitting answer bytes. This
 * core frames bytes into blocks, runs the one timer and ends the session; what a receiver
 * does with each block, EOT, stray byte or silence is its dialect's (receiver-dialects/:
 * `strict` like lrzsz `rb` or U-Boot, `particle` like Device OS, `xmodem` like a boot ROM).
 *
 * Storage is the device's business (a `ReceiverStore`); this file knows only the protocol.
 * Timers: one armed at a time, cleared by `stop()`.
 */
import { framedLength, type Checksum, type FileInfo } from '../protocol/blocks.js';
import { ACK, CAN, CRC_REQUEST, EOT, NAK, SOH, STX } from '../protocol/control-bytes.js';
import type { Phase, ReceiverCore, ReceiverDialectStrategy } from './receiver-dialects/dialect.js';
import { RECEIVER_DIALECTS } from './receiver-dialects/index.js';
import type { ReceiverEnd, ReceiverOptions } from './receiver-contract.js';

export * from './receiver-contract.js';

export class YmodemReceiver implements ReceiverCore {
  phase: Phase = 'header';
  expected = 0;
  errors = 0;
  sessionBegun = false;
  eotSeen = false;
  file: FileInfo | undefined;
  fileOffset = 0;
  readonly files: FileInfo[] = [];
  readonly checksum: Checksum;
  readonly maxErrors: number;
  private readonly dialect: ReceiverDialectStrategy;
  private input: Buffer[] = [];
  /** Read position inside input[0]. */
  private inputOffset = 0;
  private frame: Buffer | undefined;
  private frameFill = 0;
  private busy = false;
  private timer: NodeJS.Timeout | undefined;
  private pendingCan = false;
  private readonly byteTimeoutMs: number;
  private readonly requestIntervalMs: number;
  private readonly intraBlockTimeoutMs: number;

  constructor(readonly options: ReceiverOptions) {
    this.dialect = RECEIVER_DIALECTS[options.dialect];
    const defaults = this.dialect.defaults(options.timeScale ?? 1);
    this.checksum = defaults.checksum ?? options.checksum ?? 'crc16';
    this.byteTimeoutMs = options.byteTimeoutMs ?? defaults.byteTimeoutMs;
    this.requestIntervalMs = options.requestIntervalMs ?? defaults.requestIntervalMs;
    this.intraBlockTimeoutMs = options.intraBlockTimeoutMs ?? defaults.intraBlockTimeoutMs ?? this.byteTimeoutMs;
    this.maxErrors = options.maxErrors ?? defaults.maxErrors;
  }

  get active(): boolean {
    return !this.finished;
  }

  /** A getter, so checks after an await are not narrowed away by the compiler. */
  get finished(): boolean {
    return this.phase === 'done';
  }

  /** Starts listening (a strict receiver asks at once; Device OS waits one timeout first). */
  start(): void {
    this.dialect.start(this);
    this.armTimer();
  }

  feed(data: Uint8Array): void {
    if (this.finished || data.length === 0) return;
    this.input.push(Buffer.from(data));
    this.pump();
  }

  /** Stops silently (the device reset). */
  stop(): void {
    this.phase = 'done';
    this.clearTimer();
    this.input = [];
    this.inputOffset = 0;
  }

  /** The device gives up on its own: CAN CAN, then `reason` is the device's to print. */
  cancel(reason: string): void {
    if (this.finished) return;
    this.finish({ kind: 'device-cancelled', reason }, [CAN, CAN]);
  }

  private pump(): void {
    while (!this.busy && !this.finished) {
      if (this.frame) {
        // A block's body is copied in bulk: byte-wise handling cost more than the sender itself.
        if (!this.fillFrame()) break;
        continue;
      }
      const byte = this.takeByte();
      if (byte === undefined) break;
      this.onByte(byte);
    }
    if (!this.busy && !this.finished) this.armTimer();
  }

  private takeByte(): number | undefined {
    const head = this.input[0];
    if (!head) return undefined;
    const byte = head[this.inputOffset++]!;
    if (this.inputOffset === head.length) {
      this.input.shift();
      this.inputOffset = 0;
    }
    return byte;
  }

  /** Copies buffered bytes into the frame being received; returns false when more are needed. */
  private fillFrame(): boolean {
    const frame = this.frame!;
    while (this.frameFill < frame.length) {
      const head = this.input[0];
      if (!head) return false;
      const n = Math.min(frame.length - this.frameFill, head.length - this.inputOffset);
      head.copy(frame, this.frameFill, this.inputOffset, this.inputOffset + n);
      this.frameFill += n;
      this.inputOffset += n;
      if (this.inputOffset === head.length) {
        this.input.shift();
        this.inputOffset = 0;
      }
    }
    this.frame = undefined;
    this.runAsync(() => {
      this.eotSeen = false;
      return this.dialect.onFrame(this, this.options.transformFrame?.(frame) ?? frame);
    });
    return true;
  }

  private onByte(byte: number): void {
    if (this.pendingCan) {
      this.pendingCan = false;
      if (byte === CAN) return this.dialect.onSenderCancel(this);
      if (this.dialect.onLoneCan(this)) return;
    }
    if (byte === SOH || byte === STX) {
      this.frame = Buffer.alloc(framedLength(byte === STX ? 1024 : 128, this.checksum));
      this.frame[0] = byte;
      this.frameFill = 1;
      return;
    }
    if (byte === EOT) {
      this.errors = 0;
      this.options.onEvent?.({ type: 'eot' });
      return this.dialect.onEot(this);
    }
    if (byte === CAN) {
      this.pendingCan = true;
      return;
    }
    this.dialect.onStrayByte(this, byte);
  }

  async onEndOfBatch(): Promise<void> {
    const failure = this.files.length > 0 ? await this.options.store.validate?.() : undefined;
    if (this.finished) return;
    if (failure) return this.finish({ kind: 'validation-failed', code: failure }, [CAN, CAN]);
    this.finish({ kind: 'complete', files: [...this.files] }, [ACK]);
  }

  startFile(file: FileInfo): void {
    this.file = file;
    this.fileOffset = 0;
    this.files.push(file);
    this.options.onEvent?.({ type: 'header', file });
  }

  async storeBlock(sequence: number, payload: Buffer, keep = payload.length): Promise<boolean> {
    const failure = keep > 0 ? await this.options.store.writeBlock(this.fileOffset, payload.subarray(0, keep)) : undefined;
    if (this.finished) return false;
    if (failure) {
      this.finish({ kind: 'write-failed', reason: failure }, [CAN, CAN]);
      return false;
    }
    this.options.onEvent?.({ type: 'block', sequence, offset: this.fileOffset, size: payload.length });
    this.fileOffset += payload.length;
    return true;
  }

  private onTimeout(): void {
    this.timer = undefined;
    if (this.busy || this.finished) return;
    this.pendingCan = false;
    this.frame = undefined; // the rest of a block being received is lost
    this.dialect.onTimeout(this);
    if (!this.finished) this.armTimer();
  }

  private armTimer(): void {
    this.clearTimer();
    const ms = this.frame ? this.intraBlockTimeoutMs : this.dialect.timerMs(this, this.byteTimeoutMs, this.requestIntervalMs);
    this.timer = setTimeout(() => this.onTimeout(), ms);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  runAsync(work: () => Promise<void> | void): void {
    this.busy = true;
    this.clearTimer();
    void Promise.resolve()
      .then(work)
      .catch((error: unknown) => this.finish({ kind: 'write-failed', reason: String(error) }, [CAN, CAN]))
      .finally(() => {
        this.busy = false;
        this.pump();
      });
  }

  finish(end: ReceiverEnd, bytes: number[]): void {
    if (this.finished) return;
    if (bytes.length > 0) this.send(Buffer.from(bytes));
    this.stop();
    this.options.onEnd(end);
  }

  requestByte(): number {
    return this.checksum === 'crc16' ? CRC_REQUEST : NAK;
  }

  send(bytes: number | Uint8Array): void {
    if (this.finished) return;
    this.options.send(typeof bytes === 'number' ? Buffer.of(bytes) : bytes);
  }
}
