/**
 * What every virtual device shares: the host connection (a DeviceEnd handed over when the
 * host opens), the output path (fault stages, then DTR gating), timers that die with the
 * device, resets that make the port vanish and optionally come back, and a record of the
 * transfers for a summary. Transport-free: any owner that calls the VirtualWire callbacks
 * (the in-process binding, a TCP bridge, a pty) can host it.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { DeviceEnd, VirtualWire } from './virtual-binding.js';
import type { YmodemReceiver } from './ymodem-receiver.js';

/** Bytes a USB CDC device keeps while the host has not asserted DTR (inference: one small TX ring). */
export const USB_TX_QUEUE_BYTES = 4096;

export interface TransferRecord {
  /** accepted: received and kept; refused: the device said no before storing; failed: broken off. */
  status: 'accepted' | 'refused' | 'failed';
  /** The device's own words when it was not accepted. */
  reason?: string;
  name?: string;
  size?: number;
  /** Where the received bytes were stored. */
  address?: number;
  sha256?: string;
  /** Where the image was finally installed (Particle: the module's start; Core: 0x08005000). */
  installedAt?: number;
  /** Why a received image was not installed. */
  notInstalled?: string;
}

export interface DeviceSummary {
  profile: string;
  mode: string;
  transfers: TransferRecord[];
  resets: number;
}

export type ResetReason = 'update' | 'dfu' | 'no-chunk-timeout' | 'fault' | 'power-cycle';

/** Events a front end may print: 'mode', 'line-coding', 'transfer-start', 'block', 'transfer-complete',
 * 'transfer-failed', 'reset', 'boot', 'text' (a line the device printed). */
export interface DeviceEventMap {
  mode: [mode: string];
  'line-coding': [baudRate: number];
  'transfer-start': [info: { name: string; size: number }];
  block: [info: { sequence: number; offset: number; size: number }];
  'transfer-complete': [record: TransferRecord];
  'transfer-failed': [record: TransferRecord];
  reset: [info: { reason: ResetReason; portVanishes: boolean; returnsAfterMs?: number }];
  boot: [];
  text: [text: string];
}

/** One step of the device→host path; faults install these (drop ACKs, delay the first answer). */
export type OutputStage = (bytes: Uint8Array, next: (bytes: Uint8Array) => void) => void;

export interface BaseDeviceOptions {
  /** Multiplies every default timing of the device (0.01 makes 5 s into 50 ms). */
  timeScale?: number;
  /**
   * How long its YMODEM receiver waits for the next block before it answers the silence
   * (lrzsz NAKs, Device OS sends `C`), in ms as given (timeScale does not apply): its dialect's
   * own by default (lrzsz 10 s, Device OS 5 s).
   */
  receiverTimeoutMs?: number;
  /** After a reset, the port comes back after this many ms (scaled default per device); false: never. */
  returnAfterResetMs?: number | false;
  /** Opening the port raises DTR (Linux, macOS); false models a host that opens with DTR low. */
  hostRaisesDtrOnOpen?: boolean;
}

export abstract class VirtualDevice extends EventEmitter<DeviceEventMap> implements VirtualWire {
  abstract readonly profile: string;
  protected end: DeviceEnd | undefined;
  protected dtr = false;
  /** Photon-class USB devices send nothing until DTR is asserted (docs/protocol.md §1). */
  protected dtrGated = false;
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  private readonly stages: OutputStage[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  protected readonly records: TransferRecord[] = [];
  protected resets = 0;
  protected powered = true;
  /** Fault hook: may damage a complete host→device frame before the receiver decodes it. */
  transformFrame: ((frame: Buffer) => Buffer) | undefined;
  /** The receiver running now, if any. */
  protected receiver: YmodemReceiver | undefined;
  /** Passed to receivers; reads `transformFrame` late so faults may be installed at any time. */
  protected readonly frameHook = (frame: Buffer): Buffer => this.transformFrame?.(frame) ?? frame;
  readonly timeScale: number;

  constructor(protected readonly baseOptions: BaseDeviceOptions = {}) {
    super();
    this.timeScale = baseOptions.timeScale ?? 1;
  }

  abstract get mode(): string;
  /** Host bytes, once the port is open and the device is powered. */
  protected abstract receive(data: Buffer): void;
  /** Called after a reset when the device runs again (state back to the application). */
  protected abstract boot(): void;
  /** Stops activity at a reset; devices with more than a receiver override it. */
  protected halt(): void {
    this.receiver?.stop();
    this.receiver = undefined;
  }

  /** The device breaks a transfer off by itself: CAN CAN, then its reason as text. */
  abortTransfer(reason: string): void {
    this.receiver?.cancel(reason);
  }

  get receiving(): boolean {
    return this.receiver?.active ?? false;
  }

  // VirtualWire -----------------------------------------------------------------------------

  onHostOpen(port: DeviceEnd): void {
    this.end = port;
    // Opening a tty raises DTR on Linux and macOS, and the binding starts with DTR on.
    this.setDtr(this.baseOptions.hostRaisesDtrOnOpen ?? true);
  }

  onHostClose(): void {
    this.end = undefined;
    this.dtr = false;
  }

  onHostData(data: Buffer): void {
    if (this.powered) this.receive(data);
  }

  onControlLines(lines: { dtr: boolean; rts: boolean }): void {
    this.setDtr(lines.dtr);
  }

  onLineCoding(baudRate: number): void {
    this.emit('line-coding', baudRate);
  }

  // Output ----------------------------------------------------------------------------------

  addOutputStage(stage: OutputStage): void {
    this.stages.push(stage);
  }

  /** Sends bytes to the host through the fault stages and the DTR gate. */
  send(bytes: Uint8Array): void {
    if (!this.powered || bytes.length === 0) return;
    const run = (index: number, data: Uint8Array): void => {
      if (index === this.stages.length) return this.deliver(data);
      this.stages[index]!(data, (out) => run(index + 1, out));
    };
    run(0, bytes);
  }

  print(text: string): void {
    this.emit('text', text);
    this.send(Buffer.from(text, 'latin1'));
  }

  /** Device OS `println`: CR LF after the text. */
  println(text = ''): void {
    this.print(`${text}\r\n`);
  }

  private deliver(bytes: Uint8Array): void {
    if (!this.powered) return;
    const usable = this.end !== undefined && (!this.dtrGated || this.dtr);
    if (usable) return this.end!.send(bytes);
    // A UART with nobody listening loses its output; a USB device keeps a little until DTR.
    if (!this.dtrGated) return;
    const room = USB_TX_QUEUE_BYTES - this.heldBytes;
    if (room <= 0) return;
    const kept = bytes.subarray(0, room);
    this.held.push(kept);
    this.heldBytes += kept.length;
  }

  private setDtr(on: boolean): void {
    this.dtr = on;
    if (!on || !this.end || this.held.length === 0) return;
    const queued = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const chunk of queued) this.end.send(chunk);
  }

  // Time and resets ---------------------------------------------------------------------------

  /** A timer that a reset or dispose() cancels (faults schedule theirs here too). */
  later(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  protected cancelTimer(timer: NodeJS.Timeout | undefined): void {
    if (!timer) return;
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  /** Default device timing scaled for tests. */
  protected scaled(ms: number): number {
    return ms * this.timeScale;
  }

  /**
   * Whether a reset takes the port away: true for native USB devices (their CDC interface
   * re-enumerates), false behind a USB-UART adapter, which stays while the board resets.
   */
  protected get portVanishesOnReset(): boolean {
    return true;
  }

  /**
   * The device resets: activity stops; a USB port vanishes at once (the host's reads fail as
   * on a pulled cable) and comes back after `returnsAfterMs` unless that is false. The owner
   * removes the port on 'reset' when `portVanishes`, and re-adds it on 'boot'.
   */
  reset(reason: ResetReason, returnsAfterMs: number | false = this.defaultReturnMs()): void {
    if (!this.powered) return;
    this.halt();
    this.clearTimers();
    this.powered = false;
    this.resets++;
    this.held = [];
    this.heldBytes = 0;
    const portVanishes = this.portVanishesOnReset;
    if (portVanishes) {
      const end = this.end;
      this.end = undefined;
      this.dtr = false;
      end?.disconnect();
    }
    this.emit('reset', { reason, portVanishes, ...(returnsAfterMs === false ? {} : { returnsAfterMs }) });
    if (returnsAfterMs === false) return;
    this.later(returnsAfterMs, () => {
      this.powered = true;
      this.boot();
      this.emit('boot');
    });
  }

  /** The scaled default delay before the port returns after a reset; devices override. */
  protected defaultReturnMs(): number | false {
    const option = this.baseOptions.returnAfterResetMs;
    return option === undefined ? this.scaled(2_000) : option;
  }

  /** Stops every timer (tests call it so the process can exit). */
  dispose(): void {
    this.halt();
    this.clearTimers();
  }

  private clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  // Summary -----------------------------------------------------------------------------------

  protected record(record: TransferRecord): void {
    this.records.push(record);
    this.emit(record.status === 'accepted' ? 'transfer-complete' : 'transfer-failed', record);
  }

  summary(): DeviceSummary {
    return { profile: this.profile, mode: this.mode, transfers: this.records.map((r) => ({ ...r })), resets: this.resets };
  }

  /** The most recent transfer, if any. */
  get lastTransfer(): TransferRecord | undefined {
    return this.records.at(-1);
  }
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
