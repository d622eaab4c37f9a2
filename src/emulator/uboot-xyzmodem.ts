/**
 * U-Boot's X/YMODEM receiver (common/xyzModem.c with cmd/load.c's load_serial_ymodem, as in
 * U-Boot 2023.01), written the way U-Boot runs it: a loop that blocks on one character at a
 * time with a 2 s timeout. Its departures from lrzsz `rb`, each checked against a real U-Boot
 * (docs/protocol.md §7):
 *
 * - before the transfer: `C`, then after each 2 s timeout a flush until 2 s of quiet, 0.25 s
 *   and 0.5 s more, so one request every 4.75 s; NAK (checksum mode) from the 11th; the
 *   whole wait bounded by `loadxy_timeout` seconds (90 by default, 0 for ever);
 * - after the YMODEM header: an ACK and no `C` (block 1 is awaited at once);
 * - a damaged block is answered with `C` (in CRC mode), not NAK, and a silent line with `C`
 *   every 4.25 s; 20 such errors end the load;
 * - the first EOT is answered `ACK ACK C` (the second ACK from the reading loop), the closing
 *   header with ACK; XMODEM's EOT with `ACK ACK`;
 * - three CAN (or Ctrl-C) cancel, after which nothing is sent to the host;
 * - XMODEM (or a header without a size) strips a trailing run of three or more 0x1A from
 *   every block; otherwise the file is cut to the header's size.
 */
import { decodeHeaderPayload, crc16, sum8 } from '../protocol/blocks.js';
import { ACK, CAN, CRC_REQUEST, EOT, NAK, SOH, STX } from '../protocol/control-bytes.js';

/** xyzModem_CHAR_TIMEOUT. */
export const XYZ_CHAR_TIMEOUT_MS = 2_000;
/** xyzModem_MAX_RETRIES: per block, and per round of start requests. */
export const XYZ_MAX_RETRIES = 20;
/** xyzModem_MAX_RETRIES_WITH_CRC: after this many `C`, NAK (checksum mode). */
export const XYZ_MAX_RETRIES_WITH_CRC = 10;
/** CONFIG_CMD_LOADXY_TIMEOUT: the default of `loadxy_timeout`, in seconds. */
export const XYZ_DEFAULT_INITIAL_TIMEOUT_S = 90;
/** The pause after a timed-out header read, and the extra one while waiting for the sender. */
const TIMEOUT_PAUSE_MS = 250;
const STARTUP_PAUSE_MS = 500;
/** After a load ends, U-Boot waits this long before printing (time for a terminal program to exit). */
export const XYZ_TERMINATE_PAUSE_MS = 250;
const CAN_COUNT = 3;
const ETX = 0x03;
const SUB = 0x1a;
const BACKSPACE = 0x08;

export type XyzMode = 'ymodem' | 'xmodem';

/** How the load ended: the size stored, or xyzModem_error()'s words. */
export type XyzResult = { ok: true; size: number } | { ok: false; error: string; size: number };

export interface XyzOptions {
  mode: XyzMode;
  send(bytes: Uint8Array): void;
  /** Stores bytes at `offset` from the load address. */
  store(offset: number, data: Buffer): void;
  /** `loadxy_timeout` in ms; 0 waits for ever. */
  initialTimeoutMs: number;
  /** Multiplies U-Boot's own timings. */
  timeScale: number;
  /** Fault hook: may damage a complete frame before it is checked. */
  transformFrame?(frame: Buffer): Buffer;
  onEvent?(event: { type: 'header'; name: string; size: number } | { type: 'block'; sequence: number; offset: number; size: number }): void;
}

const TIMED_OUT = -1;
type Status = 0 | 'timeout' | 'eof' | 'cancel' | 'frame' | 'cksum' | 'sequence';

class Stopped extends Error {}
/** The board gives up by itself (a fault): it ends as after a timeout, with its own words. */
class Aborted extends Error {}

export class XyzModemReceiver {
  private input = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  private stopped = false;
  private abortReason: string | undefined;
  private completed = false;
  private crcMode = true;
  private txAck = false;
  private nextBlock = 0;
  private fileLength = 0;
  private readLength = 0;
  private firstXmodemPacket = false;
  private block = 0;
  private packet = Buffer.alloc(0);
  private readonly startedAt = performance.now();

  constructor(private readonly options: XyzOptions) {}

  feed(data: Uint8Array): void {
    if (data.length === 0) return;
    this.input = this.input.length === 0 ? Buffer.from(data) : Buffer.concat([this.input, data]);
    this.wake?.();
  }

  /** What arrived after the load ended: U-Boot's console reads it as typed. */
  takeLeftover(): Buffer {
    const rest = this.input;
    this.input = Buffer.alloc(0);
    return rest;
  }

  /** Gives up at the next wait: CAN ×4 and BS ×4 to the host, then `reason` as the error. */
  abort(reason: string): void {
    if (this.completed) return; // the last ACK is out: nothing left to give up
    this.abortReason = reason;
    this.wake?.();
  }

  /** Ends the loop at its next wait (a reset of the board). */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  /** Runs the whole load, as load_serial_ymodem does; resolves with how it ended (or never, once stopped). */
  async run(): Promise<XyzResult> {
    let size = 0;
    try {
      const opened = await this.open();
      if (opened !== 0) return { ok: false, error: errorText(opened), size };
      for (;;) {
        const chunk = await this.readBlock();
        if (typeof chunk === 'string') {
          // A cancel leaves the host alone; any other failure tells it to stop (CAN ×4, BS ×4).
          await this.terminate(chunk !== 'cancel');
          return { ok: false, error: errorText(chunk), size };
        }
        if (chunk === undefined) {
          this.completed = true;
          break;
        }
        this.options.store(size, chunk);
        size += chunk.length;
      }
      await this.terminate(false);
      return { ok: true, size };
    } catch (error) {
      if (error instanceof Stopped) return new Promise<never>(() => undefined);
      if (!(error instanceof Aborted)) throw error;
      const reason = this.abortReason!;
      this.abortReason = undefined;
      await this.terminate(true);
      return { ok: false, error: reason, size };
    }
  }

  // xyzModem_stream_open -------------------------------------------------------------------

  private async open(): Promise<Status> {
    let retries = XYZ_MAX_RETRIES;
    let crcRetries = XYZ_MAX_RETRIES_WITH_CRC;
    this.sendRequest();
    if (this.options.mode === 'xmodem') {
      this.firstXmodemPacket = true;
      this.nextBlock = 1;
      return 0;
    }
    let status: Status = 'timeout';
    while (!this.initialTimeoutPassed()) {
      if (--retries <= 0) {
        retries = XYZ_MAX_RETRIES;
        crcRetries = XYZ_MAX_RETRIES_WITH_CRC;
        this.crcMode = true;
      }
      status = await this.getHeader();
      if (status === 0) {
        if (this.block === 0) this.parseYmodemHeader();
        this.nextBlock = 1;
        return 0;
      }
      if (status === 'timeout') {
        if (--crcRetries <= 0) this.crcMode = false;
        await this.pause(STARTUP_PAUSE_MS);
        this.sendRequest();
      }
      if (status === 'cancel') break;
    }
    return status;
  }

  private parseYmodemHeader(): void {
    const file = decodeHeaderPayload(this.packet);
    this.fileLength = file && Number.isFinite(file.size) ? file.size : 0;
    if (file) this.options.onEvent?.({ type: 'header', name: file.name, size: this.fileLength });
    this.txAck = true;
  }

  // xyzModem_stream_read: one block's worth; undefined at the end of the file ---------------

  private async readBlock(): Promise<Buffer | undefined | Exclude<Status, 0>> {
    let status: Status = 'cancel';
    for (let retries = XYZ_MAX_RETRIES; retries-- > 0; ) {
      if (this.firstXmodemPacket && this.initialTimeoutPassed()) return 'timeout';
      status = await this.getHeader();
      if (status === 0) {
        this.firstXmodemPacket = false;
        if (this.block === this.nextBlock) {
          this.txAck = true;
          this.nextBlock = (this.nextBlock + 1) & 0xff;
          return this.payload();
        }
        if (this.block === ((this.nextBlock - 1) & 0xff)) {
          this.options.send(Buffer.of(ACK)); // a copy of the previous block: re-ACK it
          continue;
        }
        status = 'sequence';
      }
      if (status === 'cancel') break;
      if (status === 'eof') {
        this.options.send(Buffer.of(ACK));
        if (this.options.mode === 'ymodem') {
          this.sendRequest();
          await this.getHeader(); // the closing empty header
          this.options.send(Buffer.of(ACK));
        }
        return undefined;
      }
      this.sendRequest();
    }
    if (status === 'timeout' && this.firstXmodemPacket) return this.readBlock();
    return status === 0 ? 'timeout' : status;
  }

  /** The block's data: padding stripped (XMODEM, or no size known), or cut at the header's size. */
  private payload(): Buffer {
    let data = this.packet;
    const sizeKnown = this.options.mode === 'ymodem' && this.fileLength !== 0;
    if (!sizeKnown && data.length >= 3 && data.at(-1) === SUB && data.at(-2) === SUB && data.at(-3) === SUB) {
      let end = data.length;
      while (end > 0 && data[end - 1] === SUB) end--;
      data = data.subarray(0, end);
    }
    const offset = this.readLength;
    if (sizeKnown) {
      this.readLength += data.length;
      if (this.readLength > this.fileLength) data = data.subarray(0, data.length - (this.readLength - this.fileLength));
    }
    this.options.onEvent?.({ type: 'block', sequence: this.block, offset, size: data.length });
    return data;
  }

  // xyzModem_get_hdr ------------------------------------------------------------------------

  private async getHeader(): Promise<Status> {
    if (this.txAck) {
      this.options.send(Buffer.of(ACK));
      this.txAck = false;
    }
    let cans = 0;
    let seen = 0;
    let start: number;
    for (;;) {
      const c = await this.getChar();
      if (c === TIMED_OUT) {
        await this.flush();
        await this.pause(TIMEOUT_PAUSE_MS);
        return 'timeout';
      }
      seen++;
      if (c === SOH || c === STX) {
        start = c;
        break;
      }
      if (c === CAN || c === ETX) {
        if (++cans === CAN_COUNT) return 'cancel';
        continue;
      }
      if (c === EOT && seen === 1) {
        this.options.send(Buffer.of(ACK));
        return 'eof';
      }
    }
    const length = start === SOH ? 128 : 1024;
    const frame = Buffer.alloc(3 + length + (this.crcMode ? 2 : 1));
    frame[0] = start;
    // Character by character as U-Boot reads, each with its 2 s timeout; copied in runs for speed.
    for (let filled = 1; filled < frame.length; ) {
      if (!(await this.waitForInput())) return 'timeout';
      const run = Math.min(this.input.length, frame.length - filled);
      this.input.copy(frame, filled, 0, run);
      this.input = this.input.subarray(run);
      filled += run;
    }
    const checked = this.options.transformFrame?.(frame) ?? frame;
    if ((checked[1]! ^ checked[2]!) !== 0xff) {
      await this.flush();
      return 'frame';
    }
    const data = checked.subarray(3, 3 + length);
    const trailer = checked.subarray(3 + length);
    const good = this.crcMode ? crc16(data) === ((trailer[0]! << 8) | trailer[1]!) : sum8(data) === trailer[0];
    if (!good) return 'cksum';
    this.block = checked[1]!;
    this.packet = Buffer.from(data);
    return 0;
  }

  // xyzModem_stream_terminate ----------------------------------------------------------------

  private async terminate(abort: boolean): Promise<void> {
    if (abort) {
      this.options.send(Buffer.of(CAN, CAN, CAN, CAN, BACKSPACE, BACKSPACE, BACKSPACE, BACKSPACE));
      await this.flush();
      return;
    }
    this.input = Buffer.alloc(0); // "trailing gunk" already waiting is eaten; later bytes reach the console
    await this.pause(XYZ_TERMINATE_PAUSE_MS);
  }

  // Characters and time ----------------------------------------------------------------------

  private sendRequest(): void {
    this.options.send(Buffer.of(this.crcMode ? CRC_REQUEST : NAK));
  }

  private initialTimeoutPassed(): boolean {
    const limit = this.options.initialTimeoutMs * this.options.timeScale;
    return limit > 0 && performance.now() - this.startedAt > limit;
  }

  /** Waits until the line has been quiet for a whole character timeout. */
  private async flush(): Promise<void> {
    while ((await this.getChar()) !== TIMED_OUT);
  }

  private async getChar(): Promise<number> {
    if (!(await this.waitForInput())) return TIMED_OUT;
    const byte = this.input[0]!;
    this.input = this.input.subarray(1);
    return byte;
  }

  /** True once a character is waiting; false when a whole character timeout passes first. */
  private async waitForInput(): Promise<boolean> {
    const deadline = performance.now() + XYZ_CHAR_TIMEOUT_MS * this.options.timeScale;
    while (this.input.length === 0) {
      this.checkRunning();
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        this.wake = done;
        function done() {
          clearTimeout(timer);
          resolve();
        }
      });
      this.wake = undefined;
    }
    this.checkRunning();
    return true;
  }

  private checkRunning(): void {
    if (this.stopped) throw new Stopped();
    if (this.abortReason !== undefined) throw new Aborted();
  }

  private async pause(ms: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms * this.options.timeScale));
    this.checkRunning();
  }
}

function errorText(status: Exclude<Status, 0>): string {
  switch (status) {
    case 'cancel':
      return 'Cancelled';
    case 'frame':
      return 'Invalid framing';
    case 'cksum':
      return 'CRC/checksum error';
    case 'sequence':
      return 'Block sequence error';
    default:
      return 'Timed out';
  }
}
