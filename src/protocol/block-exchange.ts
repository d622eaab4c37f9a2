/**
 * The block-exchange core every session framer (YMODEM batch, XMODEM) is built on: wait for
 * the receiver's start request, send a frame and read its answer with retries, send EOT, and
 * fail cleanly (CAN at a block boundary, the receiver's own reason quoted, typed errors).
 * A framer decides which frames to send in which order; the core decides how one is
 * exchanged. It knows nothing of serial ports: any duplex byte stream will do.
 */
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { CancelledError, DisconnectedError, type ReceiverState, SerialFlashError, TransferError, type TransferCode } from '../errors.js';
import type { BlockSize, Checksum } from './blocks.js';
import { isApplicationLogLine } from './application-log.js';
import { AnswerDeadline } from './answer-deadline.js';
import { writeWithin } from './bounded-write.js';
import { ByteReader, TIMED_OUT } from './byte-reader.js';
import { ACK, CAN, CANCEL_SEQUENCE, CRC_REQUEST, EOT, NAK } from './control-bytes.js';
import { DeviceTextCollector } from './device-text.js';
import { definedOnly } from '../util/defined.js';
import { reasonOf } from '../util/reason.js';
import { type ReceiverDialect, STANDARD_DIALECT } from './dialect.js';
import { DEFAULT_PROTOCOL, PROTOCOLS } from './protocols.js';
import {
  DEFAULT_RETRIES,
  DEFAULT_TIMING,
  type RetryReason,
  type SenderEvent,
  type SenderOptions,
  type SenderPhase,
  type SenderTiming,
  type BlockSource,
  type SendResult,
} from './sender-options.js';

/** Bytes of our own that must come back in order before the line counts as echoing. */
const ECHO_PROOF_BYTES = 3;
/** This much noise makes the start's failure a noisy line, not silence. */
const NOISE_BYTES = 16;
/** Control bytes that text or the protocol uses (BEL, BS, TAB, LF, CR, ESC, ACK, NAK, CAN). */
const TEXT_CONTROLS = new Set([0x07, 0x08, 0x09, 0x0a, 0x0d, 0x1b, ACK, NAK, CAN]);
/** This many requests without a pause make the start's failure a flood, not silence. */
const FLOOD_REQUESTS = 100;
/**
 * Answers that arrive unasked (before our next write) are a handful in a real transfer (a block
 * that crossed the receiver's timeout); this many make the line noisy like unreadable bytes do.
 */
const STALE_ANSWER_NOISE = 8;
/** A timer that fires this much after its time shows an event loop too busy to have read what arrived. */
const LATE_TIMER_MS = 50;
/**
 * A wait during which the event loop ran other work for more than this share of the time was
 * no quiet line either: a stall that ended just before the deadline leaves what came meanwhile
 * unread (and a receiver emulated in this process had no time to answer).
 */
const BUSY_LOOP_SHARE = 0.5;
/** Waits for owed answers taken again after a busy event loop, at most. */
const MAX_LATE_WAITS = 4;
/** A write shorter than this never counts as stalled, however short --timeout is. */
const MIN_WRITE_TIMEOUT_MS = 1_000;
/** How long the CANs that end a failed transfer may take to leave. */
const CANCEL_WRITE_TIMEOUT_MS = 2_000;
/** How long a second CAN may take to follow the first before the first counts as noise. */
const SECOND_CAN_MS = 1_000;
const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;
/** How far to read ahead after a `C` that text follows at once: one line of a log. */
const MAX_LOOKAHEAD_BYTES = 256;
/** The bytes of a line follow each other at line rate; this long without one, the line has paused. */
const LOOKAHEAD_BYTE_MS = 100;

type Answer = typeof ACK | typeof NAK | typeof CRC_REQUEST | 'timeout' | 'confirmed';

/** How the end of a transfer may be confirmed without its final ACK. */
export interface EndOfTransfer {
  /** The receiver's own words say it has the file. */
  confirmed: () => boolean;
}

export class BlockExchange {
  readonly timing: SenderTiming;
  readonly retries: number;
  readonly dialect: ReceiverDialect;
  private readonly reader: ByteReader;
  private readonly text: DeviceTextCollector;
  /** What the receiver asked for at the start. */
  checksum: Checksum = 'crc16';
  /** The sequence number of the block being exchanged, for events and messages. */
  block = 0;
  /** File bytes the receiver has acknowledged. */
  acknowledged = 0;
  /** File bytes written so far, the block awaiting its answer included. */
  sent = 0;
  retryCount = 0;
  totalBytes = 0;
  private phase: SenderPhase = 'start';
  /** Requests at the start that another followed at once (a flood, not a receiver). */
  private unbrokenRequests = 0;
  /** What was written last, as far as it has not come back yet: a line that echoes returns it first. */
  private echo: { bytes: Buffer; at: number } | undefined;
  /** Our own bytes came back: the line echoes (see consumeEcho). */
  private lineEchoes = false;
  /** A receiver answered on a line that echoes (its answers follow the echo). */
  private answeredBehindEcho = false;
  /** Bytes that are neither protocol nor text: noise (a wrong baud rate, a floating RX pin). */
  private junkBytes = 0;
  /** ACK, NAK or C that arrived when nothing was asked (see takeStale). */
  private staleAnswers = 0;
  /** When the byte before the one being read was read: an answer on a noisy line stands alone. */
  private previousByteAt = 0;
  /** How long data blocks' answers take on this line, for the wait before a copy is sent again. */
  private readonly answerDeadline = new AnswerDeadline();

  constructor(
    private readonly stream: Duplex,
    readonly options: SenderOptions = {},
  ) {
    this.timing = { ...DEFAULT_TIMING, ...definedOnly(options) };
    this.retries = options.retries ?? DEFAULT_RETRIES;
    this.dialect = { ...STANDARD_DIALECT, ...definedOnly(options.dialect ?? {}) };
    this.reader = options.reader ?? new ByteReader(stream);
    this.text = new DeviceTextCollector((text) => this.emit({ type: 'device-text', text }));
  }

  /** Everything the receiver printed that was not protocol, most recent last. */
  get deviceText(): string {
    return this.text.recent;
  }

  /**
   * Runs one session: on failure or cancellation sends CAN at a block boundary and throws a
   * typed error with the transfer's context; always lets go of a reader it created.
   */
  async run<T>(session: () => Promise<T>): Promise<T> {
    try {
      const result = await session();
      this.text.flush();
      return result;
    } catch (error) {
      throw await this.fail(error);
    } finally {
      if (!this.options.reader) this.reader.detach();
    }
  }

  /**
   * Waits for `C` (CRC) or NAK (checksum), `startRequests` lone ones of the same kind when the
   * dialect asks for more than one (a banner that ends in a lone `C` is not a start). Only the start
   * timeout bounds the wait, never a count: boot ROMs may ask many times before we come.
   * Returns true when it gave up waiting and starts anyway.
   */
  async awaitReceiver(): Promise<boolean> {
    const deadline = performance.now() + this.timing.startTimeoutMs;
    this.unbrokenRequests = 0;
    let inRow = 0;
    let last: number | undefined;
    for (;;) {
      const byte = await this.readByte(deadline - performance.now());
      if (byte === TIMED_OUT) {
        if (this.dialect.silentStart) return true;
        this.text.flush(); // a prompt ends without a line break
        const failure = this.error('NO_RECEIVER', this.noReceiverMessage());
        if (this.text.recent) failure.context.deviceText = this.text.recent;
        throw failure;
      }
      const quietBefore = this.quietBefore();
      // On a noisy line a request must stand alone: quiet before it too.
      if ((byte === CRC_REQUEST || byte === NAK) && (this.junkBytes === 0 || quietBefore) && (await this.isLoneRequest(byte))) {
        inRow = byte === last ? inRow + 1 : 1;
        last = byte;
        if (inRow < (this.dialect.startRequests ?? 1)) continue;
        this.checksum = byte === CRC_REQUEST ? 'crc16' : 'sum8';
        return false;
      }
      if (byte === CAN) await this.onCan();
      else if (byte !== CRC_REQUEST && byte !== NAK) this.addText(byte);
      // Text in between does not break the row: a `C` inside text is no request anyway (it is
      // not followed by quiet), and receivers may print a line between their requests.
    }
  }

  private noReceiverMessage(): string {
    const within = seconds(this.timing.startTimeoutMs);
    if (this.junkBytes >= NOISE_BYTES) {
      return `Only unreadable bytes came from the line within ${within} (${this.junkBytes} bytes that are neither text nor a request), so no receiver was recognised; check the baud rate and the wiring (an unconnected RX pin reads noise).`;
    }
    if (this.unbrokenRequests >= FLOOD_REQUESTS) {
      return `The line sent an unbroken stream of "C" or NAK (${this.unbrokenRequests} bytes) for ${within} instead of one request at a time, so no receiver was recognised; check the baud rate, and that only a receiver writes to this line.`;
    }
    return `The receiver did not ask for the file within ${within}; make sure it is waiting for ${PROTOCOLS[this.options.protocol ?? DEFAULT_PROTOCOL].upload} and that the line runs at its rate (--baud).`;
  }

  /**
   * A `C` or NAK followed by quiet is a request; one followed at once by more text is text,
   * unless it stands at the start of a line and what follows is an application's log line
   * (the receiver asked just as the application logged). One followed at once by another
   * request is part of a flood: counted, not shown (a receiver pauses after each request).
   */
  private async isLoneRequest(byte: number): Promise<boolean> {
    if (this.reader.available === 0) await this.reader.wait(this.timing.requestQuietMs, this.options.signal);
    if (this.reader.available === 0) return true;
    const next = this.reader.peek();
    if (next === CRC_REQUEST || next === NAK) {
      this.unbrokenRequests++;
      return false;
    }
    if (this.text.atLineStart && (await this.logLineFollows())) return true;
    this.text.add(byte);
    return false;
  }

  /** Reads ahead to the end of the line (leaving it unread) and tells whether it is an application log line. */
  private async logLineFollows(): Promise<boolean> {
    const line: number[] = [];
    try {
      while (line.length < MAX_LOOKAHEAD_BYTES) {
        const byte = await this.reader.next(LOOKAHEAD_BYTE_MS, this.options.signal);
        if (byte === TIMED_OUT) break;
        line.push(byte);
        if (byte === LINE_FEED) break;
      }
    } finally {
      this.reader.unread(Buffer.from(line));
    }
    return isApplicationLogLine(Buffer.from(line).toString('latin1'));
  }

  /**
   * Waits for a `C` the receiver is expected to send now (after the header's ACK, after EOT).
   * It is expected there, so it is taken without the quiet test; if it never comes we go on (a
   * late `C` costs one re-sent block). Then waits `requestSettleMs` (rb's input flush on ptys).
   */
  async awaitExpectedC(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    let answer = await this.readAnswer(timeoutMs, { expectingC: true });
    // U-Boot answers the first EOT with ACK ACK C: a repeated ACK is not the C, which would
    // otherwise be read as the answer to the next block (and that block sent twice).
    while (answer === ACK && performance.now() < deadline) answer = await this.readAnswer(deadline - performance.now(), { expectingC: true });
    if (answer === CRC_REQUEST && this.timing.requestSettleMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, this.timing.requestSettleMs));
    }
  }

  /**
   * A data block: its answer is awaited as long as earlier blocks' answers suggest, so a lost
   * ACK costs about one and a half seconds rather than the receiver's own timeout (answer-deadline.ts).
   */
  async sendDataBlock(frame: Buffer): Promise<void> {
    await this.sendBlock(frame, this.timing.responseTimeoutMs, { learnt: this.answerDeadline });
  }

  /**
   * Writes a block until the receiver ACKs it (or, at the end, has the file without saying
   * ACK). With a `learnt` deadline, the wait for each copy's answer is learnt from earlier
   * blocks, and a block that went more than once is not left behind until the answers to its
   * other copies are in: they must not be taken for the next block's.
   */
  async sendBlock(
    frame: Buffer,
    timeoutMs: number,
    { silentRetries = this.retries, end, learnt }: { silentRetries?: number; end?: EndOfTransfer; learnt?: AnswerDeadline } = {},
  ): Promise<number> {
    let resentAfterSilence = false;
    let answered = false;
    const transitMs = frame.length * this.timing.msPerByte;
    let copies = 0;
    /** Copies sent again before any answer to them came: theirs may still come, late. */
    let unanswered = 0;
    for (let attempt = 0; ; attempt++) {
      await this.write(frame);
      copies++;
      const writtenAt = performance.now();
      const answer = await this.readAnswer(learnt ? learnt.forAttempt(attempt, timeoutMs + transitMs) : timeoutMs + transitMs, { end });
      // Particle dialect: a NAK for a copy re-sent after a lost ACK means the first copy was stored.
      const stored = answer === NAK && resentAfterSilence && this.dialect.nakOnDuplicate;
      if (answer === ACK || answer === 'confirmed' || stored) {
        if (!learnt) return copies;
        // Only a block sent once says how long answers take: a later one may answer either copy.
        if (copies === 1 && answer === ACK) learnt.observe(performance.now() - writtenAt);
        // Whatever was counted: the receiver's own timeout may have answered too (its NAK crossing a copy).
        if (copies > 1) await this.takeOtherAnswers(copies, frame.length, unanswered > 0 ? timeoutMs + transitMs : undefined);
        return copies;
      }
      if (answer === 'timeout' && this.lineEchoes && !this.answeredBehindEcho) {
        throw this.error(
          'LINE_ECHOES',
          `Only our own bytes came back for block ${this.block}: the line echoes what is sent — a terminal with echo on, or a half-duplex adapter — and no receiver answered behind it; make sure a receiver is waiting, or turn the echo off.`,
        );
      }
      const reason: RetryReason = answer === NAK ? 'nak' : answer === 'timeout' ? 'timeout' : 'crc-request';
      if (reason === 'timeout') unanswered++;
      resentAfterSilence = reason !== 'nak';
      answered ||= reason !== 'timeout';
      if (attempt >= (answered ? Math.max(silentRetries, this.retries) : silentRetries)) {
        throw this.error('TOO_MANY_RETRIES', this.notAcceptedMessage(attempt + 1, reason), { answered });
      }
      this.retryCount++;
      this.emit({ type: 'retry', phase: this.phase, block: this.block, attempt: attempt + 1, reason });
    }
  }

  /**
   * After a block of `frameBytes` that went more than once: the answers that may still come for
   * it, read until the line is quiet for a while (at most `most` of them); longer, up to
   * `owedWithinMs`, when a copy went unanswered and its answer is owed. The first copy's late ACK
   * and its copy's ACK (or NAK) come in order, shortly one after the other, and the receiver's
   * own timeout may have answered as a copy crossed it; read now, none of them can be taken for
   * the next block's answer (which would leave every answer one block late from then on).
   */
  async takeOtherAnswers(most: number, frameBytes: number, owedWithinMs?: number): Promise<void> {
    const withinMs = this.answerDeadline.otherAnswersMs(frameBytes * this.timing.msPerByte, owedWithinMs !== undefined, owedWithinMs ?? 0);
    for (let left = most, lateWaits = 0; left > 0; ) {
      const startedAt = performance.now();
      const loopBefore = performance.eventLoopUtilization();
      if ((await this.readAnswer(withinMs)) !== 'timeout') {
        left--;
        continue;
      }
      // A wait that ended late, or that the event loop spent mostly on other work, was a busy
      // event loop, not a quiet line: an expired timer runs before the bytes that came meanwhile
      // are read. Wait again while the loop keeps up.
      const busy = performance.eventLoopUtilization(loopBefore).utilization > BUSY_LOOP_SHARE;
      if ((performance.now() - startedAt <= withinMs + LATE_TIMER_MS && !busy) || ++lateWaits > MAX_LATE_WAITS) return;
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

  /**
   * EOT, NAK-then-EOT as the standard asks; returns true when the first EOT was ACKed. A
   * receiver that NAKs the first EOT but asks for a new file (`C`) before answering any EOT has
   * not seen the end of this file: it restarted (lrzsz ACKs a stray EOT while it waits for a
   * header), so its later ACK and the closing block's prove nothing.
   */
  async sendEot(): Promise<boolean> {
    const eot = Buffer.of(EOT);
    let eotAnswered = false;
    let askedForNewFile = false;
    for (let attempt = 0; ; attempt++) {
      await this.write(eot);
      const answer = await this.readAnswer(this.timing.responseTimeoutMs);
      if (answer === CRC_REQUEST && !eotAnswered && this.dialect.naksFirstEot) askedForNewFile = true;
      if (answer === ACK && askedForNewFile) {
        throw this.error(
          'EOT_UNCONFIRMED',
          `The receiver acknowledged all ${this.totalBytes} bytes, then asked for a new file before it confirmed the end of this one (it may have restarted); check whether it kept the file, or send it again.`,
        );
      }
      eotAnswered ||= answer === ACK || answer === NAK;
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

  /** What a finished session reports. */
  result(source: BlockSource, blockSize: BlockSize, firstEotAcked: boolean): SendResult {
    // Noise holds ACKs by chance: on a line that carried much of it, only the receiver's own words prove the file arrived.
    const noise = this.junkBytes + this.staleAnswers;
    if (noise >= NOISE_BYTES && !this.receiverConfirmed()) throw this.noisyLine(noise, 'during the transfer');
    return { bytes: source.size, blocks: Math.ceil(source.size / blockSize), retries: this.retryCount, checksum: this.checksum, firstEotAcked };
  }

  /** Whether the receiver's own words say it has the whole file. */
  receiverConfirmed(): boolean {
    return this.dialect.confirmsCompletion?.(this.text.recent, this.totalBytes) ?? false;
  }

  /**
   * The next protocol answer. Text in between is collected; CAN CAN ends the transfer. A `C`
   * counts only when quiet follows it, unless the protocol step expects one.
   */
  private async readAnswer(timeoutMs: number, { expectingC = false, end }: { expectingC?: boolean; end?: EndOfTransfer } = {}): Promise<Answer> {
    const deadline = performance.now() + timeoutMs;
    const junkBefore = this.junkBytes;
    for (;;) {
      // Waiting out the whole timeout on a line that only carries noise would just delay the verdict.
      if (this.junkBytes - junkBefore >= NOISE_BYTES) throw this.noisyLine(this.junkBytes - junkBefore, 'while waiting for an answer');
      const byte = await this.readByte(deadline - performance.now());
      if (byte === TIMED_OUT) return end?.confirmed() ? 'confirmed' : 'timeout';
      const quietBefore = this.quietBefore();
      if (this.consumeEcho(byte)) continue;
      if (byte === ACK || byte === NAK) {
        if (!this.lineIsNoisy() || (quietBefore && (await this.quietAfter()))) return this.answer(byte);
        this.junkBytes++; // on a noisy line, an answer byte inside a burst is noise
        continue;
      }
      if (byte === CRC_REQUEST) {
        if (expectingC || (await this.isLoneRequest(byte))) return this.answer(byte);
        continue;
      }
      if (byte === CAN) await this.onCan();
      else this.addText(byte);
      // Each finished line may be the receiver saying it has the file, or that it stopped receiving.
      if (byte === LINE_FEED && end?.confirmed()) return 'confirmed';
      if (byte === LINE_FEED && this.dialect.showsReceiverEnded?.(this.text.recent)) throw this.receiverEnded();
    }
  }

  private answer<T extends number>(byte: T): T {
    if (this.lineEchoes) this.answeredBehindEcho = true;
    return byte;
  }

  /** Text, unless the byte could be in no text (then it is noise, and counted). */
  private addText(byte: number): void {
    if (isJunk(byte)) this.junkBytes++;
    this.text.add(byte);
  }

  private quietBefore(): boolean {
    const now = performance.now();
    const quiet = now - this.previousByteAt >= this.timing.requestQuietMs;
    this.previousByteAt = now;
    return quiet;
  }

  private async quietAfter(): Promise<boolean> {
    if (this.reader.available === 0) await this.reader.wait(this.timing.requestQuietMs, this.options.signal);
    return this.reader.available === 0;
  }

  /**
   * Takes `byte` as the echo of what was written last when it is the next byte of it. Once
   * ECHO_PROOF_BYTES have come back in order (a frame starts SOH/STX, n, ~n: no receiver sends
   * that), the line is known to echo; its echo is then skipped for every write, and the
   * receiver behind it answers after it.
   */
  private consumeEcho(byte: number): boolean {
    const echo = this.echo;
    if (!echo) return false;
    // Before the echo starts, what arrives was sent before our bytes reached the far end (a
    // stray `C` crossing the header): it does not rule the echo out.
    if (echo.at === 0 && byte !== echo.bytes[0]) return false;
    if (byte !== echo.bytes[echo.at]) {
      this.echo = undefined;
      if (echo.at > 0 && !this.lineEchoes) this.junkBytes += echo.at; // not an echo after all
      return false;
    }
    echo.at++;
    if (echo.at >= Math.min(ECHO_PROOF_BYTES, echo.bytes.length) && echo.bytes.length > 1) this.lineEchoes = true;
    if (echo.at === echo.bytes.length) this.echo = undefined;
    return true;
  }

  /**
   * Before a write: what already arrived cannot answer it. Answers in it are stale (a doubled
   * answer to a block sent twice, a request that crossed our block), text is kept, CAN CAN
   * still cancels, and the rest of the previous write's echo is skipped.
   */
  private async takeStale(): Promise<void> {
    while (this.reader.available > 0) {
      const byte = await this.reader.next(0, this.options.signal);
      this.previousByteAt = performance.now();
      if (this.consumeEcho(byte)) continue;
      if (byte === CAN) await this.onCan();
      else if (byte === ACK || byte === NAK || byte === CRC_REQUEST) this.staleAnswers++;
      else this.addText(byte);
    }
  }

  private noisyLine(bytes: number, when: string): TransferError {
    return this.error(
      'LINE_NOISY',
      `The line carried ${bytes} bytes of noise ${when} (unreadable bytes, or answers nobody asked for), so its answers may be chance and the device may not have the image; check the baud rate, the wiring and that only the receiver writes to this line, then flash again.`,
    );
  }

  /** Unreadable bytes, or answers that keep coming unasked: a line where an ACK may be chance. */
  private lineIsNoisy(): boolean {
    return this.junkBytes > 0 || this.staleAnswers >= STALE_ANSWER_NOISE;
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
    // a log line a moment later, or one that happened to come right after the CANs.
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

  /** The next byte, or TIMED_OUT once the wait is over: a line that never stops sending cannot extend it. */
  private async readByte(timeoutMs: number): Promise<number> {
    if (timeoutMs <= 0) return TIMED_OUT;
    return this.reader.next(timeoutMs, this.options.signal);
  }

  /**
   * Every write has a deadline (see bounded-write.ts): as long as the answer to what is
   * written would be waited for, plus the time the bytes take on the line.
   */
  private async write(data: Buffer): Promise<void> {
    await this.takeStale();
    const timeoutMs = Math.max(this.timing.responseTimeoutMs, MIN_WRITE_TIMEOUT_MS) + data.length * this.timing.msPerByte;
    this.echo = { bytes: data, at: 0 };
    await writeWithin(this.stream, data, { timeoutMs, signal: this.options.signal });
  }

  /** Turns any failure into a typed error with context and tells the receiver to abort. */
  private async fail(error: unknown): Promise<SerialFlashError> {
    this.text.flush();
    const failure =
      error instanceof SerialFlashError
        ? error
        : this.error('SEND_FAILED', `The transfer failed: ${reasonOf(error)}.`);
    Object.assign(failure.context, this.context(), failure.context, { deviceText: this.text.recent || undefined });
    if (failure instanceof DisconnectedError) return this.disconnected(failure);
    const receiverGone = failure.receiver.ended === true;
    if (!receiverGone && !this.stream.destroyed) {
      // Every write we make is a whole block, so these CANs land at a block boundary.
      // Not cut short by the abort that may have caused this failure, but bounded: behind a
      // write that stalled, the CANs cannot leave either.
      const sent = await writeWithin(this.stream, CANCEL_SEQUENCE, { timeoutMs: CANCEL_WRITE_TIMEOUT_MS + CANCEL_SEQUENCE.length * this.timing.msPerByte }).then(
        () => true,
        () => false,
      );
      failure.receiver.toldToAbort = sent;
    }
    if (failure instanceof CancelledError) {
      const told = failure.receiver.toldToAbort
        ? 'the receiver was told to discard it'
        : receiverGone || this.stream.destroyed
          ? 'the receiver was already gone'
          : 'the receiver could not be told to discard it, because the port stopped taking data';
      if ((this.phase === 'eot' || this.phase === 'end') && this.acknowledged === this.totalBytes) {
        // Every byte was acknowledged: a receiver that writes as it goes (lrzsz rb) may keep it all.
        return new CancelledError(
          `The transfer was cancelled after the receiver had acknowledged all ${this.totalBytes} bytes, before it confirmed the end; it may have kept the whole file, so check it before sending again.`,
          failure.context,
          { receiver: failure.receiver },
        );
      }
      return new CancelledError(`The transfer was cancelled after ${this.acknowledged} of ${this.totalBytes} bytes; ${told}.`, failure.context, { receiver: failure.receiver });
    }
    return failure;
  }

  /** How far the transfer got when the port went away, and what that leaves on the receiver. */
  private disconnected(failure: DisconnectedError): DisconnectedError {
    const progress = `The device disconnected after ${this.acknowledged} of ${this.totalBytes} bytes`;
    // Every data block acknowledged: only the end was unconfirmed, so the file may be whole.
    const allAcknowledged = this.acknowledged === this.totalBytes && (this.phase === 'eot' || this.phase === 'end');
    const message = allAcknowledged
      ? `${progress}, before confirming the end of the file; it may have kept the whole file, so check it, or reconnect it and send again.`
      : `${progress} (it reset, or the cable was pulled); the receiver does not have the whole file, so reconnect it and send again.`;
    return new DisconnectedError(message, failure.context, { cause: failure });
  }

  error(code: TransferCode, message: string, receiver: ReceiverState = {}): TransferError {
    return new TransferError(code, message, this.context(), { receiver });
  }

  private context() {
    return {
      phase: this.phase,
      block: this.block,
      bytesAcknowledged: this.acknowledged,
      bytesSent: this.sent,
      totalBytes: this.totalBytes,
      retries: this.retryCount,
    };
  }

  setPhase(phase: SenderPhase): void {
    this.phase = phase;
    this.emit({ type: 'phase', phase });
  }

  emit(event: SenderEvent): void {
    this.options.onEvent?.(event);
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

function describeReason(reason: RetryReason): string {
  return reason === 'nak' ? 'NAK, the block arrived damaged' : reason === 'timeout' ? 'no answer' : 'the receiver asked again';
}

/** The first line with printable text in it that is not an application's log line, control bytes (ACK, NAK…) left out. */
function firstLine(text: string): string | undefined {
  return text
    .replace(/[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]/g, '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .find((line) => line !== '' && !isApplicationLogLine(line));
}

/** A byte no text holds: a control byte text does not use, DEL, or one that never occurs in UTF-8. */
function isJunk(byte: number): boolean {
  return (byte < 0x20 && !TEXT_CONTROLS.has(byte)) || byte === 0x7f || byte === 0xc0 || byte === 0xc1 || byte >= 0xf5;
}
