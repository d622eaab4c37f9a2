/**
 * A serialport binding whose ports lead to virtual devices in this process, so tests, the
 * demo and benchmarks drive serialport's real stream layer. Each binding is an instance
 * with its own ports (no module-level registry). Optional pacing models a line rate and a
 * reply latency.
 */
import type {
  BindingInterface,
  BindingPortInterface,
  OpenOptions,
  PortInfo,
  PortStatus,
  SetOptions,
  UpdateOptions,
} from '@serialport/bindings-cpp';
import { PacedLine } from './paced-line.js';
import { preciseTimers } from './precise-timer.js';

/** The device's side of a virtual port. */
export interface VirtualWire {
  /** The host wrote bytes (after pacing). */
  onHostData(data: Buffer): void;
  /** The host opened the port; `port` sends bytes to the host. */
  onHostOpen?(port: DeviceEnd): void;
  onHostClose?(): void;
  /** USB CDC SET_LINE_CODING: the host changed the baud rate. */
  onLineCoding?(baudRate: number): void;
  onControlLines?(lines: { dtr: boolean; rts: boolean }): void;
}

/** What a virtual device uses to talk back to the host. */
export interface DeviceEnd {
  send(data: Uint8Array): void;
  /** The device vanished (reset, DFU): the host's reads fail as on a pulled cable. */
  disconnect(): void;
}

export interface VirtualPortOptions {
  vendorId?: string;
  productId?: string;
  manufacturer?: string;
  serialNumber?: string;
  /** Limits host→device and device→host to this many bytes per second (a UART's line rate). */
  bytesPerSecond?: number;
  /** Paces both ways at the rate the host sets (baud / 10 bytes per second), following its changes. */
  pacedByLineRate?: boolean;
  /** One-way delay added to every chunk, in ms (USB frame and OS scheduling latency). */
  latencyMs?: number;
}

interface Registration {
  wire: VirtualWire;
  options: VirtualPortOptions;
  open?: VirtualPort;
}

class BindingError extends Error {
  canceled?: boolean;
  constructor(message: string, canceled = false) {
    super(message);
    if (canceled) this.canceled = true;
  }
}

/** Start bit, 8 data bits, stop bit. */
const BITS_PER_BYTE = 10;

export class VirtualPort implements BindingPortInterface {
  isOpen = true;
  readonly openOptions: Required<OpenOptions>;
  private inbox: Buffer[] = [];
  private reader: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private gone = false;
  private baudRate: number;
  private lines = { dtr: true, rts: true };
  private readonly toDevice: PacedLine;
  private readonly toHost: PacedLine;

  constructor(
    options: OpenOptions,
    private readonly registration: Registration,
    private readonly onClosed: () => void,
  ) {
    this.openOptions = {
      dataBits: 8,
      lock: true,
      stopBits: 1,
      parity: 'none',
      rtscts: false,
      xon: false,
      xoff: false,
      xany: false,
      hupcl: true,
      ...options,
    } as Required<OpenOptions>;
    this.baudRate = options.baudRate;
    const { pacedByLineRate, latencyMs = 0 } = registration.options;
    const bytesPerSecond = pacedByLineRate ? options.baudRate / BITS_PER_BYTE : registration.options.bytesPerSecond;
    this.toDevice = new PacedLine(bytesPerSecond, latencyMs);
    this.toHost = new PacedLine(bytesPerSecond, latencyMs);
  }

  /** Called by the device through its DeviceEnd. */
  readonly deviceEnd: DeviceEnd = {
    send: (data) => {
      if (!this.isOpen || this.gone) return;
      this.toHost.deliver(Buffer.from(data), (chunk) => {
        if (!this.isOpen) return;
        this.inbox.push(chunk);
        this.reader?.resolve();
      });
    },
    disconnect: () => {
      if (this.gone) return;
      this.gone = true;
      this.reader?.reject(new BindingError('the device disconnected'));
    },
  };

  async read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    while (this.inbox.length === 0) {
      if (!this.isOpen) throw new BindingError('Port is closed', true);
      if (this.gone) throw new BindingError('the device disconnected');
      await new Promise<void>((resolve, reject) => (this.reader = { resolve, reject }));
      this.reader = undefined;
    }
    const head = this.inbox[0]!;
    const n = Math.min(length, head.length);
    head.copy(buffer, offset, 0, n);
    if (n === head.length) this.inbox.shift();
    else this.inbox[0] = head.subarray(n);
    return { buffer, bytesRead: n };
  }

  async write(buffer: Buffer): Promise<void> {
    if (!this.isOpen) throw new BindingError('Port is closed', true);
    if (this.gone) throw new BindingError('the device disconnected');
    // Copy: serialport may reuse the buffer once the write resolves.
    this.toDevice.deliver(Buffer.from(buffer), (chunk) => {
      if (this.isOpen && !this.gone) this.registration.wire.onHostData(chunk);
    });
  }

  async update(options: UpdateOptions): Promise<void> {
    this.assertUsable();
    this.baudRate = options.baudRate;
    if (this.registration.options.pacedByLineRate) {
      this.toDevice.setBytesPerSecond(options.baudRate / BITS_PER_BYTE);
      this.toHost.setBytesPerSecond(options.baudRate / BITS_PER_BYTE);
    }
    this.registration.wire.onLineCoding?.(options.baudRate);
  }

  async set(options: SetOptions): Promise<void> {
    this.assertUsable();
    this.lines = { dtr: options.dtr ?? true, rts: options.rts ?? true };
    this.registration.wire.onControlLines?.({ ...this.lines });
  }

  async get(): Promise<PortStatus> {
    this.assertUsable();
    return { cts: true, dsr: true, dcd: true };
  }

  async getBaudRate(): Promise<{ baudRate: number }> {
    this.assertUsable();
    return { baudRate: this.baudRate };
  }

  async flush(): Promise<void> {
    this.assertUsable();
    this.inbox = [];
  }

  async drain(): Promise<void> {
    this.assertUsable();
    await this.toDevice.drained();
  }

  async close(): Promise<void> {
    if (!this.isOpen) throw new BindingError('Port is not open');
    this.isOpen = false;
    this.reader?.reject(new BindingError('Port is closed', true));
    this.onClosed();
    if (!this.gone) this.registration.wire.onHostClose?.();
  }

  private assertUsable(): void {
    if (!this.isOpen) throw new BindingError('Port is not open');
    if (this.gone) throw new BindingError('the device disconnected');
  }
}

export class VirtualBinding implements BindingInterface<VirtualPort> {
  private readonly ports = new Map<string, Registration>();

  /** Makes a port appear at `path`, leading to `wire`. */
  add(path: string, wire: VirtualWire, options: VirtualPortOptions = {}): void {
    if (this.ports.has(path)) throw new Error(`virtual port ${path} already exists`);
    this.ports.set(path, { wire, options });
    // The pacing clock's worker takes tens of ms to start: not on the first byte's time.
    if (options.bytesPerSecond || options.latencyMs) preciseTimers.warmUp();
  }

  /** The port disappears, as when a device resets or is unplugged. */
  remove(path: string): void {
    const registration = this.ports.get(path);
    if (!registration) return;
    this.ports.delete(path);
    registration.open?.deviceEnd.disconnect();
  }

  has(path: string): boolean {
    return this.ports.has(path);
  }

  async list(): Promise<PortInfo[]> {
    return [...this.ports].map(([path, { options }]) => ({
      path,
      manufacturer: options.manufacturer,
      serialNumber: options.serialNumber,
      pnpId: undefined,
      locationId: undefined,
      vendorId: options.vendorId,
      productId: options.productId,
    }));
  }

  async open(options: OpenOptions): Promise<VirtualPort> {
    const registration = this.ports.get(options.path);
    if (!registration) {
      throw Object.assign(new Error(`Error: No such file or directory, cannot open ${options.path}`), { code: 'ENOENT' });
    }
    if (registration.open && (options.lock ?? true)) {
      throw new Error('Error Resource temporarily unavailable Cannot lock port');
    }
    const port = new VirtualPort(options, registration, () => {
      if (registration.open === port) registration.open = undefined;
    });
    registration.open = port;
    registration.wire.onHostOpen?.(port.deviceEnd);
    registration.wire.onLineCoding?.(options.baudRate);
    return port;
  }
}
