/**
 * What the Spark Core and the Photon-class devices share: the application / listening mode /
 * receiving states, the listening-mode console, the DFU magic rate, the Device OS receiver
 * with its "no chunk for 30 s → reset" rule, and the texts printed after a transfer
 * (docs/protocol.md §1–3). Each device supplies its storage and version quirks.
 */
import type { Platform } from '../devices/platforms.js';
import type { FileInfo } from '../protocol/blocks.js';
import { SOH, STX } from '../protocol/control-bytes.js';
import { FLASH_PROMPT, consoleKey, type ConsoleIdentity } from './listening-console.js';
import { REFUSED_HEADER_TEXT, type InstallResult } from './particle-ota.js';
import { VirtualDevice, type BaseDeviceOptions } from './virtual-device.js';
import { YmodemReceiver, type ReceiverEnd, type ReceiverStore } from './ymodem-receiver.js';

/** Magic line-coding rates acted on by Device OS (docs/protocol.md §1). */
export const LISTEN_BAUD = 28800;
export const DFU_BAUD = 14400;
/** Once the header is accepted, no chunk for 30 s resets the device (docs/protocol.md §3). */
export const NO_CHUNK_RESET_MS = 30_000;
/** Cellular platforms wait ten times longer: their links are slow. */
export const NO_CHUNK_RESET_CELLULAR_MS = 300_000;
/** Device OS waits 1 s after "Size: …" before announcing the restart. */
export const RESTART_NOTICE_DELAY_MS = 1_000;
/** …and 100 ms after the notice before it resets. */
export const RESET_AFTER_NOTICE_MS = 100;
/** Bootloader plus system start until USB serial enumerates again (inference: a few seconds). */
export const REBOOT_MS = 3_000;

/** Where a received image lives and how it is installed. */
export interface ImageStore extends ReceiverStore {
  readonly file: FileInfo | undefined;
  /** Where the received bytes are stored. */
  readonly start: number;
  imageSha256(): string;
  install(): Promise<InstallResult>;
}

export interface FamilyDeviceOptions extends BaseDeviceOptions {
  /** Starts in listening mode, as after holding MODE. */
  listening?: boolean;
  /** Back in listening mode after every restart, as if MODE were held each time (a virtual device has no button). */
  stayListening?: boolean;
  /** Linux cdc-acm sends SET_LINE_CODING only when the settings change: ignore a repeated rate. */
  lineCodingOnChangeOnly?: boolean;
  /** The exact x.y.z printed by `v`; defaults to a typical release of the generation. */
  systemVersion?: string;
  deviceId?: string;
  /** Seeds the device id when none is given. */
  seed?: number;
  /** Firmware updates disabled by the application: every header is refused. */
  updatesDisabled?: boolean;
  /** Erase and per-block write durations of the flash model, in ms (not scaled). */
  eraseMs?: number;
  writeMs?: number;
}

export type FamilyMode = 'application' | 'listening' | 'receiving' | 'updating' | 'dfu';

export abstract class ParticleFamilyDevice extends VirtualDevice {
  abstract readonly platform: Platform;
  abstract readonly identity: ConsoleIdentity;
  protected abstract readonly store: ImageStore;
  private state: FamilyMode;
  private returnTo: FamilyMode = 'application';
  /** When the last chunk (or the header) was stored; undefined outside a transfer. */
  private lastChunkAt: number | undefined;
  private lastBaud: number | undefined;

  constructor(private readonly familyOptions: FamilyDeviceOptions) {
    super(familyOptions);
    this.state = familyOptions.listening || familyOptions.stayListening ? 'listening' : 'application';
  }

  get mode(): FamilyMode {
    return this.state;
  }

  /** Holding MODE for 3 s: listening mode on every firmware. */
  enterListeningMode(): void {
    if (this.state === 'application') this.setMode('listening');
  }

  // Version quirks ----------------------------------------------------------------------------

  /** What 28800 baud does. */
  protected abstract onListenBaud(): void;
  /** 0.5+: a raw SOH/STX in listening mode starts the receiver with no prompt. */
  protected abstract get rawPacketStartsReceiver(): boolean;
  /** 0.4.2–0.4.7: the receiver is silent until the first good packet. */
  protected abstract get silentReceiver(): boolean;
  /** Later versions answer the sender's CAN CAN with ACK and CAN CAN. */
  protected abstract get echoCancel(): boolean;
  /** 0.5+ prints "Restarting system to apply firmware update..." before resetting. */
  protected abstract get restartNotice(): boolean;

  /** The `f` key. Returns true when the receiver now owns the rest of the input. */
  protected onFlashKey(): boolean {
    this.println(FLASH_PROMPT);
    this.startReceiver('listening');
    return true;
  }

  // Host input ----------------------------------------------------------------------------------

  override onLineCoding(baudRate: number): void {
    const repeated = baudRate === this.lastBaud;
    this.lastBaud = baudRate;
    if (!this.powered || (repeated && this.familyOptions.lineCodingOnChangeOnly)) return;
    super.onLineCoding(baudRate);
    if (baudRate === DFU_BAUD) {
      this.setMode('dfu');
      this.reset('dfu', false);
    } else if (baudRate === LISTEN_BAUD) {
      this.onListenBaud();
    }
  }

  protected receive(data: Buffer): void {
    if (this.state === 'receiving') return this.receiver?.feed(data);
    if (this.state !== 'listening') return; // the application does not read the port
    for (let i = 0; i < data.length; i++) {
      const byte = data[i]!;
      if ((byte === SOH || byte === STX) && this.rawPacketStartsReceiver) {
        this.startReceiver('listening');
        return this.receiver?.feed(data.subarray(i));
      }
      const action = consoleKey(byte, this.identity);
      if (action.kind === 'text') action.lines.forEach((line) => this.println(line));
      else if (action.kind === 'leave') return this.setMode('application');
      else if (action.kind === 'flash' && this.onFlashKey()) return this.receiver?.feed(data.subarray(i + 1));
    }
  }

  // Transfer ------------------------------------------------------------------------------------

  protected startReceiver(returnTo: FamilyMode): void {
    this.returnTo = returnTo;
    this.setMode('receiving');
    this.receiver = new YmodemReceiver({
      dialect: 'particle',
      timeScale: this.timeScale,
      byteTimeoutMs: this.baseOptions.receiverTimeoutMs,
      send: (bytes) => this.send(bytes),
      store: this.store,
      silentUntilFirstPacket: this.silentReceiver,
      echoCancel: this.echoCancel,
      transformFrame: this.frameHook,
      onEvent: (event) => {
        if (event.type === 'header') {
          this.lastChunkAt = performance.now();
          this.emit('transfer-start', { name: event.file.name, size: event.file.size });
        } else if (event.type === 'block') {
          this.lastChunkAt = performance.now();
          this.emit('block', { sequence: event.sequence, offset: event.offset, size: event.size });
        } else if (event.type === 'rejected' && event.why === 'unexpected-sequence') {
          this.checkNoChunkReset();
        }
      },
      onEnd: (end) => void this.onTransferEnd(end),
    });
    this.receiver.start();
  }

  /**
   * Device OS resets when no chunk has been stored for 30 s. Its receiver blocks the system
   * loop, so plain silence ends in the receiver's own CAN CAN first; the reset shows when the
   * line stays busy with packets it refuses (a sender re-sending an already-stored packet).
   */
  private checkNoChunkReset(): void {
    const limit = this.scaled(this.platform.key === 'electron' ? NO_CHUNK_RESET_CELLULAR_MS : NO_CHUNK_RESET_MS);
    if (this.lastChunkAt === undefined || performance.now() - this.lastChunkAt < limit) return;
    this.record({ status: 'failed', reason: 'no chunk was stored for too long, so the device reset', ...this.fileFields() });
    this.reset('no-chunk-timeout');
  }

  private async onTransferEnd(end: ReceiverEnd): Promise<void> {
    this.lastChunkAt = undefined;
    this.receiver = undefined;
    if (end.kind === 'complete' && end.files.length > 0) return this.onSuccess(end.files.at(-1)!);
    const text = failureText(end);
    this.println(text);
    this.record({ status: end.kind === 'refused' ? 'refused' : 'failed', reason: text, ...this.fileFields() });
    this.setMode(this.returnTo);
  }

  private async onSuccess(file: FileInfo): Promise<void> {
    this.setMode('updating');
    this.println('\r\nDownloaded file successfully!');
    this.println(`Name: ${file.name}`);
    this.println(`Size: ${file.size} bytes`);
    const installed = await this.store.install();
    this.record({ status: 'accepted', ...this.fileFields(), ...installed });
    this.later(this.scaled(RESTART_NOTICE_DELAY_MS), () => {
      if (!this.restartNotice) return this.reset('update');
      this.println('Restarting system to apply firmware update...');
      this.later(this.scaled(RESET_AFTER_NOTICE_MS), () => this.reset('update'));
    });
  }

  private fileFields() {
    const file = this.store.file;
    if (!file) return {};
    return { name: file.name, size: file.size, address: this.store.start, sha256: this.store.imageSha256() };
  }

  // Resets --------------------------------------------------------------------------------------

  protected override defaultReturnMs(): number | false {
    const option = this.familyOptions.returnAfterResetMs;
    return option === undefined ? this.scaled(REBOOT_MS) : option;
  }

  protected boot(): void {
    // After any reset the device runs its application (the new one after an update).
    this.lastBaud = undefined;
    this.lastChunkAt = undefined;
    this.setMode(this.familyOptions.stayListening ? 'listening' : 'application');
  }

  protected setMode(mode: FamilyMode): void {
    if (this.state === mode) return;
    this.state = mode;
    this.emit('mode', mode);
  }
}

/** The line Device OS prints for each way a transfer can end badly (docs/protocol.md §3). */
export function failureText(end: ReceiverEnd): string {
  switch (end.kind) {
    case 'refused':
      return REFUSED_HEADER_TEXT;
    case 'write-failed':
      return 'Verification failed!';
    case 'validation-failed':
      return `Validation failed: ${end.code}`;
    case 'user-abort':
      return 'Aborted by user.';
    case 'device-cancelled':
      return end.reason;
    default:
      return 'Failed to receive the file!';
  }
}
