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

/** What kind of port a connection is: it decides which line controls reach the device. */
export type PortKind = 'serial' | 'pty' | 'tcp' | 'rfc2217';

/** What a kind of port can pass on to the device, known before it is opened (for plans). */
export interface PortCapabilities {
  kind: PortKind;
  /** A line-rate change reaches whoever reads the line (serial ports, ptys, RFC 2217 servers). */
  lineRate: boolean;
  /** DTR/RTS may reach the device: 'probe' where only the open port can tell (a USB adapter may not wire them). */
  modemLines: boolean | 'probe';
  /** How messages name it: "a pseudo-terminal", "a raw TCP bridge". */
  description: string;
}

/**
 * An open byte channel to a device: a serial port, a raw TCP bridge, a virtual device.
 * The protocol layer only ever sees `stream`; device profiles may use the line controls.
 */
export interface Connection {
  /** What the user named: `/dev/ttyACM0`, `COM3`, `tcp://host:port`, `virtual:photon`. */
  readonly path: string;
  readonly kind: PortKind;
  /** Known for USB serial ports; undefined for TCP bridges and unknown ports. */
  readonly usb?: UsbIdentity;
  /** The byte stream (serialport's stream, a socket, …). */
  readonly stream: Duplex;
  /** Current line rate, or undefined where the transport has none (raw TCP). */
  readonly baudRate: number | undefined;
  /** True when a line-rate change reaches the other end (serial ports, ptys, RFC 2217). */
  readonly canSetLineRate: boolean;
  /** True when DTR/RTS reach the device (modem lines exist; not on ptys or raw TCP). */
  readonly canSignal: boolean;
  /** How messages name this port: "a pseudo-terminal", "an RFC 2217 server". */
  readonly description: string;
  setBaudRate(baudRate: number): Promise<void>;
  setSignals(signals: ControlSignals): Promise<void>;
  /** Wait until everything written has left the host. */
  drain(): Promise<void>;
  /** Close; never throws; safe to call twice. */
  close(): Promise<void>;
  /** Resolves (never rejects) when the connection closes; `error` set when it was lost. */
  readonly closed: Promise<{ error?: Error }>;
  /**
   * Set once a network bridge has closed the connection before the device said anything (or
   * with only a "port in use" notice): another client holds the port, or its device is
   * restarting. What failed because of it should be reported as this instead.
   */
  readonly turnedAway?: Error;
}
