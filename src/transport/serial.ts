/**
 * Serial ports through node-serialport: a native port, or any binding handed in (the virtual
 * device, tests). The native module is imported on first open so `--help` never loads it.
 */
import type { BindingInterface } from '@serialport/bindings-cpp';
import type { SerialPortStream } from '@serialport/stream';
import { DisconnectedError, InputError, PortError } from '../errors.js';
import type { Connection, ControlSignals, PortKind, UsbIdentity } from './connection.js';
import { isPseudoTerminal } from './pseudo-terminal.js';
import { reasonOf } from '../util/reason.js';
import { withinMs } from '../util/within.js';
import { loadNativeBinding, usbInfoFromSysfs, type SerialPortInfo } from './ports.js';
import { withHangupDetection } from './hangup.js';
import { translateOpenError } from './port-errors.js';

export interface OpenSerialOptions {
  baudRate: number;
  /** Defaults to the native binding. */
  binding?: BindingInterface;
  /**
   * true asserts DTR after opening (Photon-class devices send nothing until it is), false
   * drops it, undefined leaves the line as the OS set it on open (asserted on Linux and macOS).
   */
  dtr?: boolean;
}

/** Finding the USB identity must never hold up opening; listing ports is usually milliseconds. */
const USB_LOOKUP_TIMEOUT_MS = 1500;
/** Linux, macOS and the Windows binding raise DTR and RTS when a port opens. */
const SIGNALS_AFTER_OPEN: Required<ControlSignals> = { dtr: true, rts: true };
/** Closing a file descriptor takes microseconds; a port reopened at once must find its lock gone. */
const RELEASE_WAIT_MS = 2000;

export async function openSerial(path: string, options: OpenSerialOptions): Promise<Connection> {
  const { baudRate } = options;
  checkBaudRate(baudRate);
  const binding = options.binding ?? withHangupDetection(await loadNativeBinding());
  const { SerialPortStream } = await import('@serialport/stream');
  const stream = await new Promise<SerialPortStream>((resolve, reject) => {
    const port: SerialPortStream = new SerialPortStream(
      {
        binding,
        path,
        baudRate,
        dataBits: 8,
        parity: 'none',
        stopBits: 1,
        rtscts: false,
        xon: false,
        xoff: false,
        xany: false,
        // Exclusive: a second program writing into a YMODEM transfer corrupts it.
        lock: true,
        // Dropping DTR on close tells CDC-ACM firmware the host has gone (Photons stop queuing output).
        hupcl: true,
      },
      (error) => (error ? reject(error) : resolve(port)),
    );
  }).catch(async (error: unknown) => {
    throw await translateOpenError(path, error, binding);
  });

  // Listening for loss at once: a device can vanish while it is being probed.
  const connection = new SerialConnection(path, stream);
  try {
    await connection.prepare(binding, options.binding === undefined, options.dtr);
  } catch (error) {
    await connection.close();
    throw error;
  }
  return connection;
}

function checkBaudRate(baudRate: number): void {
  if (!Number.isInteger(baudRate) || baudRate <= 0) {
    throw new InputError('BAD_BAUD_RATE', `The baud rate must be a positive whole number, not ${String(baudRate)}.`);
  }
}

class SerialConnection implements Connection {
  #kind: PortKind = 'serial';
  /** Every serial port and pty takes a rate; on a pty the other side reads it from the termios. */
  readonly canSetLineRate = true;
  readonly closed: Promise<{ error?: Error }>;
  #resolveClosed!: (outcome: { error?: Error }) => void;
  #finished = false;
  #closeRequested = false;
  #signals: Required<ControlSignals> = { ...SIGNALS_AFTER_OPEN };
  #lostError: Error | undefined;
  #canSignal = false;
  #usb: UsbIdentity | undefined;
  /** The native close under way after the port failed on its own: close() waits for it to release the lock. */
  #releasing: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    readonly stream: SerialPortStream,
  ) {
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    // serialport emits 'close' with an error whose `disconnected` is true when a read or write
    // fails (cable pulled, device reset); a plain 'close' is a requested close or destroy().
    stream.on('close', (error?: Error | null) => this.#finish(error ?? undefined));
    // Write failures surface as 'error' too (without a listener they would kill the process);
    // writes cancelled by our own close() fail the same way and mean nothing.
    stream.on('error', (error: Error) => {
      if (!this.#closeRequested) this.#finish(error);
    });
  }

  get baudRate(): number {
    return this.stream.baudRate;
  }

  get canSignal(): boolean {
    return this.#canSignal;
  }

  get kind(): PortKind {
    return this.#kind;
  }

  get description(): string {
    return this.#kind === 'pty' ? 'a pseudo-terminal' : this.#usb ? 'a USB serial port' : 'a serial port';
  }

  get usb(): UsbIdentity | undefined {
    return this.#usb;
  }

  /** Finds out what the port can do and who is behind it, then sets DTR as asked. */
  async prepare(binding: BindingInterface, isNativeBinding: boolean, dtr: boolean | undefined): Promise<void> {
    // Probing is harmless (TIOCMGET); ptys and some bridges have no modem lines and refuse it.
    const probe = new Promise<boolean>((resolve) => this.stream.get((error) => resolve(!error)));
    const pty = isNativeBinding ? isPseudoTerminal(this.path) : Promise.resolve(false);
    let isPty: boolean;
    [this.#canSignal, this.#usb, isPty] = await Promise.all([probe, lookUpUsbIdentity(this.path, binding, isNativeBinding), pty]);
    if (isPty) {
      // A pty has no modem lines, whatever a bridge's ioctl answers.
      this.#kind = 'pty';
      this.#canSignal = false;
    }
    if (dtr !== undefined) await this.setSignals({ dtr, rts: SIGNALS_AFTER_OPEN.rts });
  }

  async setBaudRate(baudRate: number): Promise<void> {
    checkBaudRate(baudRate);
    this.#assertOpen();
    // Note: on Unix the native binding flushes both queues when the rate changes; drain first.
    await this.#call((done) => this.stream.update({ baudRate }, done)).catch((error: unknown) => {
      throw new PortError(
        'BAUD_RATE_REJECTED',
        `${this.path} refused the baud rate ${baudRate} (${reasonOf(error)}); choose a standard rate such as 115200.`,
        {},
        { cause: error },
      );
    });
  }

  async setSignals(signals: ControlSignals): Promise<void> {
    if (!this.canSignal) return;
    this.#assertOpen();
    // The binding sets every line on each call, so send the whole, merged state.
    const next = { dtr: signals.dtr ?? this.#signals.dtr, rts: signals.rts ?? this.#signals.rts };
    await this.#call((done) => this.stream.set({ ...next, brk: false }, done)).catch((error: unknown) => {
      throw new PortError(
        'SIGNALS_REJECTED',
        `${this.path} refused to set DTR/RTS (${reasonOf(error)}); the adapter may not wire these lines.`,
        {},
        { cause: error },
      );
    });
    this.#signals = next;
  }

  async drain(): Promise<void> {
    this.#assertOpen();
    // The port's own drain only waits for the write in progress, not the stream's queue.
    await new Promise<void>((resolve, reject) =>
      this.stream.write(Buffer.alloc(0), (error) => (error ? reject(this.#lostOr(error)) : resolve())),
    );
    this.#assertOpen();
    await this.#call((done) => this.stream.drain(done)).catch((error: unknown) => {
      throw this.#lostOr(error);
    });
  }

  async close(): Promise<void> {
    this.#closeRequested = true;
    if (!this.#finished) {
      await withinMs(this.#release(), RELEASE_WAIT_MS);
      this.#finish(undefined);
    }
    await this.closed;
    // Bounded: a close that never completes must not hang the caller (the OS frees it at exit).
    await withinMs(this.#releasing, RELEASE_WAIT_MS);
  }

  #finish(error: Error | undefined): void {
    if (this.#finished) return;
    this.#finished = true;
    const lost = error ? this.#disconnected(error) : undefined;
    this.#lostError = lost;
    this.#releasing = this.#release();
    // Destroying releases readers and makes later writes fail instead of waiting for a reopen.
    if (!this.stream.destroyed) this.stream.destroy();
    this.#resolveClosed(lost ? { error: lost } : {});
  }

  /** Closes the native port, or waits for the close serialport began itself after a failed read or write. */
  #release(): Promise<void> {
    if (this.stream.isOpen) return new Promise((resolve) => this.stream.close(() => resolve()));
    if (!this.stream.closing) return Promise.resolve();
    // destroy() emits a 'close' of its own; serialport's comes once `closing` is over.
    return new Promise((resolve) => {
      const whenReleased = (): void => {
        if (this.stream.closing) return;
        this.stream.off('close', whenReleased);
        resolve();
      };
      this.stream.on('close', whenReleased);
    });
  }

  #disconnected(cause: Error): DisconnectedError {
    return new DisconnectedError(
      `${this.path} went away (the device reset or was unplugged); reconnect it and try again.`,
      {},
      { cause },
    );
  }

  #assertOpen(): void {
    if (this.#finished) {
      throw this.#lostError ?? new DisconnectedError(`${this.path} is already closed; open it again first.`);
    }
  }

  #lostOr(error: unknown): Error {
    if (this.#lostError) return this.#lostError;
    return this.#finished ? new DisconnectedError(`${this.path} is already closed; open it again first.`) : toError(error);
  }

  #call(start: (done: (error: Error | null) => void) => void): Promise<void> {
    return new Promise((resolve, reject) => start((error) => (error ? reject(error) : resolve())));
  }
}

/** Best effort and bounded: an unknown identity only means device recognition by USB id is skipped. */
async function lookUpUsbIdentity(
  path: string,
  binding: BindingInterface,
  isNativeBinding: boolean,
): Promise<UsbIdentity | undefined> {
  const lookup = (async (): Promise<SerialPortInfo | undefined> => {
    // On Linux sysfs answers at once, where the binding's list() would spawn udevadm.
    if (isNativeBinding && process.platform === 'linux') return usbInfoFromSysfs(path);
    const ports = await binding.list();
    const match = ports.find((port) => samePort(port.path, path));
    return match ? { path, vendorId: match.vendorId, productId: match.productId } : undefined;
  })().catch(() => undefined);
  const info = await withinMs(lookup, USB_LOOKUP_TIMEOUT_MS);
  const vendorId = info?.vendorId?.replace(/^0x/i, '').toLowerCase();
  const productId = info?.productId?.replace(/^0x/i, '').toLowerCase();
  return vendorId && productId ? { vendorId, productId } : undefined;
}

/** macOS lists /dev/tty.* while people open /dev/cu.*; Windows port names ignore case. */
function samePort(listed: string, opened: string): boolean {
  const canonical = (name: string): string => name.replace(/^\/dev\/cu\./, '/dev/tty.').toLowerCase();
  return listed === opened || canonical(listed) === canonical(opened);
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
