/**
 * The device's view of a run: every byte the host sent and the device sent back (in one
 * ordered log), every line-coding change, port closes, resets. Installed on a virtual device
 * instance without changing how it behaves, so the invariants are judged from the far end of
 * the wire rather than from what serial-flash says about itself.
 */
import type { VirtualDevice } from '../../src/emulator/index.js';
import { CAN, EOT, SOH, STX } from '../../src/protocol/control-bytes.js';

export interface WireEvent {
  from: 'host' | 'device';
  bytes: Buffer;
  /** Host bytes written while the device could not hear them (see silenceHost). */
  unheard?: boolean;
}

export class DeviceView {
  readonly wire: WireEvent[] = [];
  readonly lineCodings: number[] = [];
  hostOpens = 0;
  hostCloses = 0;
  /** The port went away (a reset of a native USB device). */
  vanished = false;
  resets = 0;
  /** The device hears nothing from the host until then (performance.now() ms). */
  private deafUntil = 0;

  constructor(device: VirtualDevice) {
    const onHostData = device.onHostData.bind(device);
    device.onHostData = (data: Buffer) => {
      const unheard = performance.now() < this.deafUntil;
      this.wire.push({ from: 'host', bytes: Buffer.from(data), unheard });
      if (!unheard) onHostData(data);
    };
    const onLineCoding = device.onLineCoding.bind(device);
    device.onLineCoding = (baudRate: number) => {
      this.lineCodings.push(baudRate);
      onLineCoding(baudRate);
    };
    const onHostOpen = device.onHostOpen.bind(device);
    device.onHostOpen = (end) => {
      this.hostOpens++;
      onHostOpen(end);
    };
    const onHostClose = device.onHostClose.bind(device);
    device.onHostClose = () => {
      this.hostCloses++;
      onHostClose();
    };
    // Added after the fault stages: what actually reaches the host.
    device.addOutputStage((bytes, next) => {
      this.wire.push({ from: 'device', bytes: Buffer.from(bytes) });
      next(bytes);
    });
    device.on('reset', (info) => {
      this.resets++;
      if (info.portVanishes) this.vanished = true;
    });
  }

  /**
   * The device hears nothing from the host for `ms`, as when the host stops sending (a frozen
   * machine, a USB hiccup): what the host writes meanwhile never arrives. Delayed rather than
   * lost bytes are not modelled: YMODEM answers carry no block number, so no sender can tell a
   * late answer from a current one.
   */
  silenceHost(ms: number): void {
    this.deafUntil = performance.now() + ms;
  }

  /** Everything the host wrote, heard by the device or not: what the sender did. */
  hostBytes(): Buffer {
    return Buffer.concat(this.wire.filter((e) => e.from === 'host').map((e) => e.bytes));
  }

  deviceBytes(): Buffer {
    return Buffer.concat(this.wire.filter((e) => e.from === 'device').map((e) => e.bytes));
  }

  /** True when the device sent CAN CAN before the host began its cancel: it broke the transfer off itself. */
  deviceCancelledFirst(): boolean {
    const hostCancelAt = parseHostFraming(this.hostBytes()).cancelAt ?? Infinity;
    let hostOffset = 0;
    let previousDeviceCan = false;
    for (const event of this.wire) {
      if (event.from === 'host') {
        hostOffset += event.bytes.length;
        continue;
      }
      for (const byte of event.bytes) {
        if (byte === CAN && previousDeviceCan && hostOffset <= hostCancelAt) return true;
        previousDeviceCan = byte === CAN;
      }
    }
    return false;
  }
}

export interface HostFraming {
  /** Whole YMODEM frames and EOTs the host sent. */
  frames: number;
  /** CANs the host sent, all after the last frame. */
  cans: number;
  /** Offset of the first of those CANs in the host's bytes. */
  cancelAt?: number;
  /** Why the host's byte stream is not whole frames followed by CANs, if it is not. */
  problem?: string;
}

/**
 * Splits what the host sent after the console bytes into frames: SOH/STX blocks of their full
 * length, EOT, and a closing run of CANs. A CAN inside a block, or anything after the CANs, is
 * a cancel that did not land at a block boundary.
 */
export function parseHostFraming(bytes: Buffer, checksumBytes: 1 | 2 = 2): HostFraming {
  let at = bytes.findIndex((b) => b === SOH || b === STX || b === EOT || b === CAN);
  const result: HostFraming = { frames: 0, cans: 0 };
  if (at < 0) return result;
  while (at < bytes.length) {
    const byte = bytes[at]!;
    if (byte === CAN) {
      const rest = bytes.subarray(at);
      if (!rest.every((b) => b === CAN)) result.problem = `bytes after the CANs at offset ${at}`;
      result.cans = rest.filter((b) => b === CAN).length;
      result.cancelAt = at;
      return result;
    }
    if (byte === EOT) {
      at++;
    } else if (byte === SOH || byte === STX) {
      const length = 3 + (byte === STX ? 1024 : 128) + checksumBytes;
      if (at + length > bytes.length) {
        result.problem = `a block cut short at offset ${at} (${bytes.length - at} of ${length} bytes)`;
        return result;
      }
      at += length;
    } else {
      // After the transfer a console target may type a command line (U-Boot: crc32 ADDR SIZE),
      // after Ctrl-C for a fresh prompt (it stops a restarted board's autoboot countdown).
      if (!/^[\x20-\x7e\r\x1b\x03]+$/.test(bytes.subarray(at).toString('latin1'))) {
        result.problem = `byte 0x${byte.toString(16).padStart(2, '0')} between blocks at offset ${at}`;
      }
      return result;
    }
    result.frames++;
  }
  return result;
}
