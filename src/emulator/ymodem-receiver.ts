/**
 * The receiving end of YMODEM, fed host bytes and emitting answer bytes, in two dialects:
 *
 * - `strict`, a standard receiver like lrzsz `rb` or U-Boot `loady`: checks every CRC (or
 *   checksum), NAKs damaged blocks, ACKs a re-sent copy of the previous block, NAKs the first
 *   EOT and ACKs the second, then asks for the next header; truncates files to the header's size.
 * - `particle`, the Spark/Particle Device OS receiver (adapted from ST AN2557; reference
 *   docs/protocol.md §3): never checks the CRC, NAKs any unexpected sequence number including
 *   a duplicate, ACKs the first EOT with no `C` after it, answers a timeout with `C`, and gives
 *   up on the 6th consecutive error.
 *
 * Storage is the device's business (a `ReceiverStore`); this file knows only the protocol.
 * Timers: one armed at a time, cleared by `stop()`.
 */
import { decodeBlock, decodeHeaderPayload, framedLength, BLOCK_HEADER_BYTES, type Checksum, type FileInfo } from '../protocol/blocks.js';
import { ACK, CAN, CRC_REQUEST, EOT, NAK, SOH, STX } from '../protocol/control-bytes.js';
import {
  PARTICLE_BYTE_TIMEOUT_MS,
  PARTICLE_MAX_ERRORS,
  STRICT_BLOCK_TIMEOUT_MS,
  STRICT_INTRA_BLOCK_TIMEOUT_MS,
  STRICT_MAX_ERRORS,
  STRICT_REQUEST_INTERVAL_MS,
  type ReceiverEnd,
  type ReceiverOptions,
} from './receiver-contract.js';

export * from './receiver-contract.js';

/** User abort keys of the Particle receiver ('A' and 'a', AN2557's ABORT1/ABORT2). */
const PARTICLE_ABORT_KEYS = new Set([0x41, 0x61]);
/** Device OS ACKs a space and otherwise ignores it (docs/protocol.md §3). */
const SPACE = 0x20;

type Phase = 'header' | 'data' | 'done';

export class YmodemReceiver {
  private phase: Phase = 'header';
  private input: Buffer[] = [];
  /** Read position inside input[0]. */
  private inputOffset = 0;
  private frame: Buffer | undefined;
  private frameFill = 0;
  private busy = false;
  private timer: NodeJS.Timeout | undefined;
  private errors = 0;
  private sessionBegun = false;
  private expected = 0;
  private eotSeen = false;
  private pendingCan = false;
  private file: FileInfo | undefined;
  private fileOffset = 0;
  private readonly files: FileInfo[] = [];
  private readonly checksum: Checksum;
  private readonly byteTimeoutMs: number;
  private readonly requestIntervalMs: number;
  private readonly intraBlockTimeoutMs: number;
  private readonly maxErrors: number;

  constructor(private readonly options: ReceiverOptions) {
    const scale = options.timeScale ?? 1;
    const particle = options.dialect === 'particle';
    this.checksum = particle ? 'crc16' : (options.checksum ?? 'crc16');
    this.byteTimeoutMs = options.byteTimeoutMs ?? (particle ? PARTICLE_BYTE_TIMEOUT_MS : STRICT_BLOCK_TIMEOUT_MS) * scale;
    this.requestIntervalMs = options.requestIntervalMs ?? (particle ? PARTICLE_BYTE_TIMEOUT_MS : STRICT_REQUEST_INTERVAL_MS) * scale;
    this.intraBlockTimeoutMs =
      options.intraBlockTimeoutMs ?? (particle ? this.byteTimeoutMs : STRICT_INTRA_BLOCK_TIMEOUT_MS * scale);
    this.maxErrors = options.maxErrors ?? (particle ? PARTICLE_MAX_ERRORS : STRICT_MAX_ERRORS);
  }

  get active(): boolean {
    return !this.finished;
  }

  /** A getter, so checks after an await are not narrowed away by the compiler. */
  private get finished(): boolean {
    return this.phase === 'done';
  }

  /** Starts listening. A strict receiver asks for the first header at once; Device OS waits one timeout first. */
  start(): void {
    if (this.options.dialect === 'strict') this.send(this.requestByte());
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
    this.runAsync(() => this.onFrame(this.options.transformFrame?.(frame) ?? frame));
    return true;
  }

  private onByte(byte: number): void {
    if (this.pendingCan) {
      this.pendingCan = false;
      if (byte === CAN) return this.onSenderCancel();
      if (this.options.dialect === 'particle') return this.onError('noise');
    }
    if (byte === SOH || byte === STX) {
      this.frame = Buffer.alloc(framedLength(byte === STX ? 1024 : 128, this.checksum));
      this.frame[0] = byte;
      this.frameFill = 1;
      return;
    }
    if (byte === EOT) return this.onEot();
    if (byte === CAN) {
      this.pendingCan = true;
      return;
    }
    if (this.options.dialect === 'particle') {
      if (PARTICLE_ABORT_KEYS.has(byte)) return this.finish({ kind: 'user-abort' }, [CAN, CAN]);
      if (byte === SPACE) return this.send(ACK);
      // AN2557 treats any other byte where a packet should start as an error, like a timeout.
      return this.onError('noise');
    }
    // A strict receiver skips line noise between blocks.
  }

  private onSenderCancel(): void {
    if (this.options.dialect === 'particle') {
      this.finish({ kind: 'sender-cancelled' }, this.options.echoCancel ? [ACK, CAN, CAN] : [ACK]);
    } else {
      this.finish({ kind: 'sender-cancelled' }, []);
    }
  }

  private onEot(): void {
    this.errors = 0;
    this.options.onEvent?.({ type: 'eot' });
    if (this.options.dialect === 'particle') {
      // Device OS ACKs the first EOT and expects packet 0 next, with no `C` (docs/protocol.md §3).
      this.send(ACK);
      this.phase = 'header';
      this.expected = 0;
      return;
    }
    if (this.phase === 'header') {
      // lrzsz: an EOT while waiting for a header is a re-sent EOT whose ACK was lost.
      this.send(ACK);
      return;
    }
    if (!this.eotSeen) {
      this.eotSeen = true;
      this.send(NAK);
      return;
    }
    this.eotSeen = false;
    this.runAsync(async () => {
      await this.options.store.endFile?.();
      if (this.finished) return;
      this.file = undefined;
      this.phase = 'header';
      this.expected = 0;
      this.send(Buffer.of(ACK, this.requestByte()));
    });
  }

  private async onFrame(frame: Buffer): Promise<void> {
    this.eotSeen = false;
    const block = this.options.dialect === 'particle' ? readUncheckedFrame(frame) : decodeBlock(frame, this.checksum);
    if (!block) {
      if (this.options.dialect === 'particle') return this.onError('damaged');
      return this.reject('damaged', frame[1]);
    }
    if (this.options.dialect === 'particle') return this.onParticleBlock(block.sequence, block.payload);
    return this.onStrictBlock(block.sequence, block.payload);
  }

  private async onParticleBlock(sequence: number, payload: Buffer): Promise<void> {
    this.errors = 0;
    if (sequence !== (this.expected & 0xff)) {
      this.options.onEvent?.({ type: 'rejected', sequence, why: 'unexpected-sequence' });
      this.send(NAK);
      return;
    }
    if (this.expected === 0) {
      if (payload[0] === 0) return this.onEndOfBatch();
      const file = decodeHeaderPayload(payload)!;
      const refusal = !(file.size > 0) ? 'the header gives no size' : await this.options.store.beginFile(file);
      if (this.finished) return;
      if (refusal) return this.finish({ kind: 'refused', file, reason: refusal }, [CAN, CAN]);
      this.startFile(file);
      this.send(Buffer.of(ACK, CRC_REQUEST));
    } else {
      const failure = await this.options.store.writeBlock(this.fileOffset, payload);
      if (this.finished) return;
      if (failure) return this.finish({ kind: 'write-failed', reason: failure }, [CAN, CAN]);
      this.blockStored(sequence, payload.length);
      this.send(ACK);
    }
    this.expected++;
    this.sessionBegun = true;
  }

  private async onStrictBlock(sequence: number, payload: Buffer): Promise<void> {
    if (this.phase === 'header') {
      if (sequence !== 0) return this.reject('unexpected-sequence', sequence);
      this.errors = 0;
      if (payload[0] === 0) return this.onEndOfBatch();
      const file = decodeHeaderPayload(payload)!;
      const refusal = await this.options.store.beginFile(file);
      if (this.finished) return;
      if (refusal) return this.finish({ kind: 'refused', file, reason: refusal }, [CAN, CAN]);
      this.startFile(file);
      this.phase = 'data';
      this.expected = 1;
      this.send(this.headerAnswer());
      return;
    }
    if (sequence === ((this.expected - 1) & 0xff)) {
      // The sender missed our ACK and sent the block again: it is stored already.
      this.errors = 0;
      this.options.onEvent?.({ type: 'duplicate', sequence });
      this.send(this.expected === 1 ? this.headerAnswer() : Buffer.of(ACK));
      return;
    }
    if (sequence !== (this.expected & 0xff)) return this.finish({ kind: 'out-of-sequence', sequence }, [CAN, CAN]);
    this.errors = 0;
    const size = this.file!.size;
    // Standard receivers drop the padding: the file ends where the header says.
    const keep = Number.isFinite(size) && size > 0 ? Math.max(0, Math.min(payload.length, size - this.fileOffset)) : payload.length;
    const failure = keep > 0 ? await this.options.store.writeBlock(this.fileOffset, payload.subarray(0, keep)) : undefined;
    if (this.finished) return;
    if (failure) return this.finish({ kind: 'write-failed', reason: failure }, [CAN, CAN]);
    this.blockStored(sequence, payload.length);
    this.expected++;
    this.send(ACK);
  }

  private async onEndOfBatch(): Promise<void> {
    const failure = this.files.length > 0 ? await this.options.store.validate?.() : undefined;
    if (this.finished) return;
    if (failure) return this.finish({ kind: 'validation-failed', code: failure }, [CAN, CAN]);
    this.finish({ kind: 'complete', files: [...this.files] }, [ACK]);
  }

  private startFile(file: FileInfo): void {
    this.file = file;
    this.fileOffset = 0;
    this.files.push(file);
    this.options.onEvent?.({ type: 'header', file });
  }

  private blockStored(sequence: number, size: number): void {
    this.options.onEvent?.({ type: 'block', sequence, offset: this.fileOffset, size });
    this.fileOffset += size;
  }

  /** Strict: NAK (or the initial request) and count; too many in a row ends the session. */
  private reject(why: 'damaged' | 'unexpected-sequence' | 'timeout', sequence?: number): void {
    this.options.onEvent?.({ type: 'rejected', sequence, why });
    this.frame = undefined;
    const idle = why === 'timeout' && this.files.length === 0 && this.options.asksUntilFirstHeader;
    if (!idle && ++this.errors >= this.maxErrors) return this.finish({ kind: 'too-many-errors' }, [CAN, CAN]);
    // Silence while waiting for a header repeats the request; anything damaged gets NAK.
    const request = why === 'timeout' && (this.phase === 'header' || this.options.requestsOnBlockTimeout);
    this.send(request ? this.requestByte() : NAK);
  }

  /** Particle: a timeout, a damaged frame or a stray byte. Counted once the session has begun. */
  private onError(why: 'damaged' | 'timeout' | 'noise'): void {
    this.frame = undefined;
    this.options.onEvent?.({ type: 'rejected', why });
    if (this.sessionBegun) this.errors++;
    if (this.sessionBegun || !this.options.silentUntilFirstPacket) this.send(CRC_REQUEST);
    if (this.errors > this.maxErrors) this.finish({ kind: 'too-many-errors' }, [CAN, CAN]);
  }

  private onTimeout(): void {
    this.timer = undefined;
    if (this.busy || this.finished) return;
    this.pendingCan = false;
    if (this.options.dialect === 'particle') this.onError('timeout');
    else this.reject('timeout');
    if (!this.finished) this.armTimer();
  }

  private armTimer(): void {
    this.clearTimer();
    const ms = this.frame
      ? this.intraBlockTimeoutMs
      : this.options.dialect === 'strict' && this.phase === 'header'
        ? this.requestIntervalMs
        : this.byteTimeoutMs;
    this.timer = setTimeout(() => this.onTimeout(), ms);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Runs storage work; bytes that arrive meanwhile wait, as in the device's USB buffer. */
  private runAsync(work: () => Promise<void> | void): void {
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

  private finish(end: ReceiverEnd, bytes: number[]): void {
    if (this.finished) return;
    if (bytes.length > 0) this.send(Buffer.from(bytes));
    this.stop();
    this.options.onEnd(end);
  }

  private headerAnswer(): Buffer {
    return this.options.requestsAfterHeader === false ? Buffer.of(ACK) : Buffer.of(ACK, this.requestByte());
  }

  private requestByte(): number {
    return this.checksum === 'crc16' ? CRC_REQUEST : NAK;
  }

  private send(bytes: number | Uint8Array): void {
    if (this.finished) return;
    this.options.send(typeof bytes === 'number' ? Buffer.of(bytes) : bytes);
  }
}

/** Device OS reads the 2 CRC bytes and ignores them: only `seq == ~seqcomp` is checked. */
function readUncheckedFrame(frame: Buffer): { sequence: number; payload: Buffer } | undefined {
  if ((frame[1]! ^ frame[2]!) !== 0xff) return undefined;
  const size = frame[0] === STX ? 1024 : 128;
  return { sequence: frame[1]!, payload: frame.subarray(BLOCK_HEADER_BYTES, BLOCK_HEADER_BYTES + size) };
}
