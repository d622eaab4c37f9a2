import type { Duplex } from 'node:stream';

/** USB identity of a port, as reported by the OS (lower-case hex, no 0x). */
export interface UsbIdentity {
  vendorId: string;
  productId: string;
}

/** Modem control lines a transport may be able to drive. */
export interface ControlSignals {
  dtr?: boolean;
  rts?: boolean;
}

/**
 * An open byte channel to a device: a serial port, a raw TCP bridge, a virtual device.
 * The protocol layer only ever sees `stream`; device profiles may use the line controls.
 */
export interface Connection {
  /** What the user named: `/dev/ttyACM0`, `COM3`, `tcp://host:port`, `virtual:photon`. */
  readonly path: string;
  readonly kind: 'serial' | 'tcp';
  /** Known for USB serial ports; undefined for TCP bridges and unknown ports. */
  readonly usb?: UsbIdentity;
  /** The byte stream (serialport's stream, a socket, …). */
  readonly stream: Duplex;
  /** Current line rate, or undefined where the transport has none (TCP). */
  readonly baudRate: number | undefined;
  /** True when line coding and control lines reach the device (false for raw TCP). */
  readonly canSignal: boolean;
  setBaudRate(baudRate: number): Promise<void>;
  setSignals(signals: ControlSignals): Promise<void>;
  /** Wait until everything written has left the host. */
  drain(): Promise<void>;
  /** Close; never throws; safe to call twice. */
  close(): Promise<void>;
  /** Resolves (never rejects) when the connection closes; `error` set when it was lost. */
  readonly closed: Promise<{ error?: Error }>;
}
