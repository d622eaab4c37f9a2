/**
 * The YMODEM sender state machine. It knows nothing of serial ports: it writes to and reads
 * from any duplex byte stream, and reports progress through a typed event callback.
 */
import type { Duplex } from 'node:stream';
import {
  CancelledError,
  DisconnectedError,
  InputError,
  type ReceiverState,
  SerialFlashError,
  TransferError,
  type TransferCode,
} from '../errors.js';
import {
  type BlockSize,
  type Checksum,
  encodeBlock,
  encodeEndOfBatchBlock,
  encodeHeaderBlock,
} from './blocks.js';
import { ByteReader, TIMED_OUT } from './byte-reader.js';
import { ACK, CAN, CRC_REQUEST, EOT, NAK } from './control-bytes.js';
import { DeviceTextCollector } from './device-text.js';
import { definedOnly } from '../util/defined.js';
import {
  type BlockSource,
  DEFAULT_RETRIES,
  DEFAULT_TIMING,
  type RetryReason,
  type SenderEvent,
  type SenderOptions,
  type SenderPhase,
  type SenderTiming,
  type SendResult,
} from './sender-options.js';

export * from './sender-options.js';

/** How many CANs we send to abort: two cancel, the rest cover one lost to line noise. */
const CANCEL_SEQUENCE = Buffer.alloc(5, CAN);
/** Copies of the closing block after the first when the receiver stays silent (see sendEndOfBatch). */
const CLOSING_BLOCK_SILENT_RETRIES = 1;
/** How long a second CAN may take to follow the first before the first counts as noise. */
const SECOND_CAN_MS = 1_000;


type Answer = typeof ACK | typeof NAK | typeof CRC_REQUEST | 'timeout' | 'confirmed';
const LINE_FEED = 0x0a;

/** How the end of a transfer may be confirmed without its final ACK. */
interface EndOfTransfer {
  /** The receiver's own words say it has the file. */
  confirmed: () => boolean;
}

/** A data block ready to write, and how much of the file it carries. */
interface Frame {
  frame: Buffer;
  payloadBytes: number;
}

/** Sends one file. Create one sender per transfer. */
export class YmodemSender {
  private readonly timing: SenderTiming;
  private readonly blockSize: BlockSize;
  private readonly retries: number;
  private readonly reader: ByteReader;
  private readonly text: DeviceTextCollector;
  private checksum: Checksum = 'crc16';
  private phase: SenderPhase = 'start';
  private block = 0;
  private acknowledged = 0;
  private retryCount = 0;
  private totalBytes = 0;

  constructor(
    private readonly stream: Duplex,
    private readonly options: SenderOptions = {},
  ) {
    this.timing = { ...DEFAULT_TIMING, ...definedOnly(options) };
    this.blockSize = options.blockSize ?? 1024;
    this.retries = options.retries ?? DEFAULT_RETRIES;
    this.reader = options.reader ?? new ByteReader(stream);
    this.text = new DeviceTextCollector((text) => this.emit({ type: 'device-text', text }));
  }

  /** Everything the receiver printed that was not protocol, most recent last. */
  get deviceText(): string {
    return this.text.recent;
  }

  /**
   * Sends `source`. Resolves only after the receiver acknowledged the end-of-batch block.
   * On failure or cancellation, sends CAN CAN at a block boundary and throws.
   */
  async send(source: BlockSource): Promise<SendResult> {
    this.totalBytes = source.size;
    if (source.size <= 0) {
      // An empty image "downloaded successfully" is how the seed thread's device lost its firmware.
      throw new InputError('FILE_EMPTY', `${source.name} is empty (0 bytes); nothing was sent — did the build fail?`);
    }
    try {
      const silent = await this.awaitReceiver();
      this.emit({ type: 'receiver-ready', checksum: this.checksum, silent });
      this.setPhase('header');
      await this.sendBlock(encodeHeaderBlock(source, this.checksum), this.timing.headerAckTimeoutMs, this.options.headerRetries);
      await this.awaitExpectedC(this.timing.responseTimeoutMs);
      this.setPhase('data');
      await this.sendData(source);
      this.setPhase('eot');
      const firstEotAcked = await this.sendEot();
      this.setPhase('end');
      await this.awaitExpectedC(this.timing.eotGraceMs);
      this.block = 0;
      await this.sendEndOfBatch();
      this.text.flush();
      return {
        bytes: source.size,
        blocks: Math.ceil(source.size / this.blockSize),
        retries: this.retryCount,
        checksum: this.checksum,
        firstEotAcked,
      };
    } catch (error) {
      throw await this.fail(error);
    } finally {
      if (!this.options.reader) this.reader.detach();
    }
  }

  /** Waits for `C` (CRC) or NAK (checksum). Returns true when it gave up waiting and starts anyway. */
  private async awaitReceiver(): Promise<boolean> {
    const deadline = performance.now() + this.timing.startTimeoutMs;
    for (;;) {
      const byte = await this.readByte(deadline - performance.now());
      if (byte === TIMED_OUT) {
        if (this.options.silentStart) return true;
        throw this.error(
          'NO_RECEIVER',
          `The receiver did not ask for the file within ${seconds(this.timing.startTimeoutMs)}; make sure it is waiting for a YMODEM upload.`,
        );
      }
      if ((byte === CRC_REQUEST || byte === NAK) && (await this.isLoneRequest(byte))) {
        this.checksum = byte === CRC_REQUEST ? 'crc16' : 'sum8';
        return false;
      }
      if (byte === CAN) await this.onCan();
      else if (byte !== CRC_REQUEST && byte !== NAK) this.text.add(byte);
    }
  }

  /** A `C` or NAK followed by quiet is a request; one followed at once by more text is text. */
  private async isLoneRequest(byte: number): Promise<boolean> {
    if (this.reader.available === 0) await this.reader.wait(this.timing.requestQuietMs, this.options.signal);
    if (this.reader.available === 0) return true;
    this.text.add(byte);
    return false;
  }

  /**
   * Waits for the `C` a standard receiver sends after the header's ACK and after EOT. It is
   * expected there, so it is taken without the quiet test; if it never comes we go on (a late
   * `C` costs one re-sent block). Then waits `requestSettleMs` (rb's input flush on ptys).
   */
  private async awaitExpectedC(timeoutMs: number): Promise<void> {
    const answer = await this.readAnswer(timeoutMs, { expectingC: true });
    if (answer === CRC_REQUEST && this.timing.requestSettleMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, this.timing.requestSettleMs));
    }
  }

  private async sendData(source: BlockSource): Promise<void> {
    let offset = 0;
    let upcoming: Promise<Frame> | undefined = this.frameAt(source, 0, this.block + 1);
    let reportPrevious: (() => void) | undefined;
    while (offset < source.size) {
      const { frame, payloadBytes }: Frame = await upcoming!;
      this.block = (this.block + 1) & 0xff;
      const nextOffset: number = offset + payloadBytes;
      // The next frame is read and built while the receiver handles this one, so its ACK is
      // answered by a single write of a ready frame.
      upcoming = nextOffset < source.size ? this.frameAt(source, nextOffset, this.block + 1) : undefined;
      upcoming?.catch(() => undefined); // awaited next turn; must not count as unhandled meanwhile
      // Started before the previous block's progress is reported: listeners run off the critical path.
      const sending = this.sendBlock(frame, this.timing.responseTimeoutMs);
      reportPrevious?.();
      await sending;
      offset = nextOffset;
      this.acknowledged = offset;
      const block = this.block;
      reportPrevious = () => this.emit({ type: 'progress', block, bytesAcknowledged: nextOffset, totalBytes: source.size });
    }
    reportPrevious?.();
  }

  /** Reads and frames the data block at `offset`; a 1K transfer ends with a 128-byte block when that is enough. */
  private async frameAt(source: BlockSource, offset: number, sequence: number): Promise<Frame> {
    const payload = await source.read(offset, this.blockSize);
    if (payload.length === 0) {
      throw this.error('FILE_SHRANK', `The file became shorter while it was being sent (${offset} of ${source.size} bytes read).`);
    }
    const size: BlockSize = this.blockSize === 1024 && payload.length <= 128 ? 128 : this.blockSize;
    return { frame: encodeBlock(sequence & 0xff, payload, size, this.checksum), payloadBytes: payload.length };
  }


  /**
   * The closing empty block 0: success needs its ACK. The one exception is a receiver that
   * said in its own words that it has the file (a Particle device resets right after saying
   * so, U-Boot prints the size it received), whose ACK may be lost as it goes. A receiver
   * that stays silent is given one more copy only: lrzsz `rb` exits after its last ACK, and
   * more copies would be typed into whatever runs after it.
   */
  private async sendEndOfBatch(): Promise<void> {
    const end: EndOfTransfer = { confirmed: () => this.receiverConfirmed() };
    try {
      await this.sendBlock(encodeEndOfBatchBlock(this.checksum), this.timing.finalAckTimeoutMs, CLOSING_BLOCK_SILENT_RETRIES, end);
    } catch (error) {
      if (!end.confirmed()) throw error;
    }
  }

  private receiverConfirmed(): boolean {
    return this.options.confirmsCompletion?.(this.text.recent, this.totalBytes) ?? false;
  }

  /** Writes a block until the receiver ACKs it (or, at the end, has the file without saying ACK). */
  private async sendBlock(frame: Buffer, timeoutMs: number, silentRetries = this.retries, end?: EndOfTransfer): Promise<void> {
    let resentAfterSilence = false;
    let answered = false;
    for (let attempt = 0; ; attempt++) {
      await this.write(frame);
      const answer = await this.readAnswer(timeoutMs + frame.length * this.timing.msPerByte, { end });
      if (answer === ACK || answer === 'confirmed') return;
      // Particle dialect: a NAK for a copy re-sent after a lost ACK means the first copy was stored.
      if (answer === NAK && resentAfterSilence && this.options.nakOnDuplicate) return;
      const reason: RetryReason = answer === NAK ? 'nak' : answer === 'timeout' ? 'timeout' : 'crc-request';
      resentAfterSilence = reason !== 'nak';
      answered ||= reason !== 'timeout';
      if (attempt >= (answered ? Math.max(silentRetries, this.retries) : silentRetries)) {
        throw this.error('TOO_MANY_RETRIES', this.notAcceptedMessage(attempt + 1, reason), { answered });
      }
      this.retryCount++;
      this.emit({ type: 'retry', phase: this.phase, block: this.block, attempt: attempt + 1, reason });
    }
  }

  private notAcceptedMessage(attempts: number, reason: RetryReason): string {
    const last = `after ${attempts} attempt${attempts === 1 ? '' : 's'} (last answer: ${describeReason(reason)})`;
    if (this.phase === 'end') {
      // Every data block and the EOT were acknowledged: the receiver most likely has the file.
      return `The receiver acknowledged all ${this.totalBytes} bytes but not the closing block ${last}; it most likely has the whole file, so check it before sending again.`;
    }
    return `Block ${this.block} was not accepted ${last}; check the cable and the baud rate, then try again.`;
  }

  /** EOT, NAK-then-EOT as the standard asks; returns true when the first EOT was ACKed. */
  private async sendEot(): Promise<boolean> {
    const eot = Buffer.of(EOT);
    for (let attempt = 0; ; attempt++) {
      await this.write(eot);
      const answer = await this.readAnswer(this.timing.responseTimeoutMs);
      if (answer === ACK) return attempt === 0;
      if (attempt >= this.retries) {
        throw this.error('EOT_NOT_ACKNOWLEDGED', 'The receiver did not acknowledge the end of the file; the transfer may be incomplete, so flash again.');
      }
      // A NAK to the first EOT is the standard handshake, not a retry.
      if (!(answer === NAK && attempt === 0)) {
        this.retryCount++;
        this.emit({ type: 'retry', phase: 'eot', block: this.block, attempt: attempt + 1, reason: answer === NAK ? 'nak' : 'timeout' });
      }
    }
  }

  /**
   * The next protocol answer. Text in between is collected; CAN CAN ends the transfer. A `C`
   * counts only when quiet follows it, unless the protocol step expects one.
   */
  private async readAnswer(timeoutMs: number, { expectingC = false, end }: { expectingC?: boolean; end?: EndOfTransfer } = {}): Promise<Answer> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const byte = await this.readByte(deadline - performance.now());
      if (byte === TIMED_OUT) return end?.confirmed() ? 'confirmed' : 'timeout';
      if (byte === ACK || byte === NAK) return byte;
      if (byte === CRC_REQUEST) {
        if (expectingC || (await this.isLoneRequest(byte))) return byte;
        continue;
      }
      if (byte === CAN) await this.onCan();
      else this.text.add(byte);
      // Each finished line may be the receiver saying it has the file, or that it stopped receiving.
      if (byte === LINE_FEED && end?.confirmed()) return 'confirmed';
      if (byte === LINE_FEED && this.options.showsReceiverEnded?.(this.text.recent)) throw this.receiverEnded();
    }
  }

  /** A CAN: a second one cancels the session; a lone one is line noise. */
  private async onCan(): Promise<void> {
    const second = await this.readByte(SECOND_CAN_MS);
    if (second === CAN) throw await this.receiverCancelled();
    if (second !== TIMED_OUT) this.reader.unread(Buffer.of(second));
  }

  private async receiverCancelled(): Promise<SerialFlashError> {
    // Receivers print their reason at once, in the same burst as the CANs ("Failed to receive
    // the file!"): its first line is the reason, not application logs before it, a stray `C`,
    // or a log line a moment later.
    this.text.flush();
    const reasonBytes: number[] = [];
    let inBurst = true;
    const deadline = performance.now() + this.timing.abortTextMs;
    try {
      for (;;) {
        const byte = await this.readByte(Math.min(deadline - performance.now(), inBurst ? this.timing.requestQuietMs : Infinity));
        if (byte === TIMED_OUT) {
          if (!inBurst || performance.now() >= deadline) break;
          inBurst = false;
          continue;
        }
        if (byte === CAN) continue;
        if (inBurst) reasonBytes.push(byte);
        this.text.add(byte);
      }
    } catch {
      // The device may reset right after cancelling; what it printed is enough.
    }
    this.text.flush();
    const reason = firstLine(Buffer.from(reasonBytes).toString('latin1'));
    return this.error(
      'RECEIVER_CANCELLED',
      reason ? `The receiver cancelled the transfer and said: "${reason}".` : 'The receiver cancelled the transfer without saying why.',
      { ended: true },
    );
  }

  private receiverEnded(): TransferError {
    return this.error(
      'RECEIVER_ENDED',
      `The receiver stopped after ${this.acknowledged} of ${this.totalBytes} bytes and its console is back, so nothing more was sent; run this again.`,
      { ended: true },
    );
  }

  private async readByte(timeoutMs: number): Promise<number> {
    if (timeoutMs <= 0) return this.reader.available > 0 ? this.reader.next(0, this.options.signal) : TIMED_OUT;
    return this.reader.next(timeoutMs, this.options.signal);
  }

  private write(data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.stream.write(data, (error) => (error ? reject(new DisconnectedError('The device disconnected.', {}, { cause: error })) : resolve()));
    });
  }

  /** Turns any failure into a typed error with context and tells the receiver to abort. */
  private async fail(error: unknown): Promise<SerialFlashError> {
    this.text.flush();
    const failure =
      error instanceof SerialFlashError
        ? error
        : this.error('SEND_FAILED', `The transfer failed: ${error instanceof Error ? error.message : String(error)}.`);
    Object.assign(failure.context, this.context(), failure.context, { deviceText: this.text.recent || undefined });
    if (failure instanceof DisconnectedError) return this.disconnected(failure);
    const receiverGone = failure.receiver.ended === true;
    if (!receiverGone && !this.stream.destroyed) {
      // Every write we make is a whole block, so these CANs land at a block boundary.
      await this.write(CANCEL_SEQUENCE).catch(() => undefined);
      failure.receiver.toldToAbort = true;
    }
    if (failure instanceof CancelledError) {
      const told = failure.receiver.toldToAbort ? 'the receiver was told to discard it' : 'the receiver was already gone';
      return new CancelledError(`The transfer was cancelled after ${this.acknowledged} of ${this.totalBytes} bytes; ${told}.`, failure.context, { receiver: failure.receiver });
    }
    return failure;
  }

  /** How far the transfer got when the port went away, and what that leaves on the receiver. */
  private disconnected(failure: DisconnectedError): DisconnectedError {
    const progress = `The device disconnected after ${this.acknowledged} of ${this.totalBytes} bytes`;
    const message =
      this.phase === 'end'
        ? `${progress}, before confirming the transfer; check whether it kept the file, or reconnect it and send again.`
        : `${progress} (it reset, or the cable was pulled); the receiver does not have the whole file, so reconnect it and send again.`;
    return new DisconnectedError(message, failure.context, { cause: failure });
  }

  private error(code: TransferCode, message: string, receiver: ReceiverState = {}): TransferError {
    return new TransferError(code, message, this.context(), { receiver });
  }

  private context() {
    return {
      phase: this.phase,
      block: this.block,
      bytesAcknowledged: this.acknowledged,
      totalBytes: this.totalBytes,
      retries: this.retryCount,
    };
  }

  private setPhase(phase: SenderPhase): void {
    this.phase = phase;
    this.emit({ type: 'phase', phase });
  }

  private emit(event: SenderEvent): void {
    this.options.onEvent?.(event);
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

function describeReason(reason: RetryReason): string {
  return reason === 'nak' ? 'NAK, the block arrived damaged' : reason === 'timeout' ? 'no answer' : 'the receiver asked again';
}

/** The first line with printable text in it, control bytes (ACK, NAK…) left out. */
function firstLine(text: string): string | undefined {
  return text
    .replace(/[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]/g, '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .find(Boolean);
}
