/**
 * Serial ports through node-serialport: a native port, or any binding handed in (the virtual
 * device, tests). The native module is imported on first open so `--help` never loads it.
 */
import { promises as fsp, constants as fsConstants } from 'node:fs';
import type { BindingInterface } from '@serialport/bindings-cpp';
import type { SerialPortStream } from '@serialport/stream';
import { DisconnectedError, InputError, PortError } from '../errors.js';
import type { Connection, ControlSignals, UsbIdentity } from './connection.js';
import { listPorts, loadNativeBinding, reasonOf, usbInfoFromSysfs, withinMs, type SerialPortInfo } from './ports.js';

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

export async function openSerial(path: string, options: OpenSerialOptions): Promise<Connection> {
  const { baudRate } = options;
  if (!Number.isInteger(baudRate) || baudRate <= 0) {
    throw new InputError('BAD_BAUD_RATE', `The baud rate must be a positive whole number, not ${String(baudRate)}.`);
  }
  const binding = options.binding ?? (await loadNativeBinding());
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

  // Probing is harmless (TIOCMGET); ptys and some bridges have no modem lines and refuse it.
  const canSignal = await new Promise<boolean>((resolve) => stream.get((error) => resolve(!error)));
  const usb = await lookUpUsbIdentity(path, binding, options.binding === undefined);
  const connection = new SerialConnection(path, stream, canSignal, usb);
  if (options.dtr !== undefined && canSignal) {
    try {
      await connection.setSignals({ dtr: options.dtr, rts: SIGNALS_AFTER_OPEN.rts });
    } catch (error) {
      await connection.close();
      throw error;
    }
  }
  return connection;
}

class SerialConnection implements Connection {
  readonly kind = 'serial' as const;
  readonly closed: Promise<{ error?: Error }>;
  #resolveClosed!: (outcome: { error?: Error }) => void;
  #finished = false;
  #closeRequested = false;
  #signals: Required<ControlSignals> = { ...SIGNALS_AFTER_OPEN };
  #lostError: Error | undefined;

  constructor(
    readonly path: string,
    readonly stream: SerialPortStream,
    readonly canSignal: boolean,
    readonly usb: UsbIdentity | undefined,
  ) {
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    // serialport emits 'close' with an error whose `disconnected` is true when a read or write
    // fails (cable pulled, device reset); a plain 'close' is a requested close or destroy().
    stream.on('close', (error?: Error | null) => this.#finish(error ?? undefined));
    // Write failures surface as 'error' too; without a listener they would kill the process.
    stream.on('error', (error: Error) => {
      if (!this.#closeRequested) this.#finish(error);
    });
  }

  get baudRate(): number {
    return this.stream.baudRate;
  }

  async setBaudRate(baudRate: number): Promise<void> {
    if (!Number.isInteger(baudRate) || baudRate <= 0) {
      throw new InputError('BAD_BAUD_RATE', `The baud rate must be a positive whole number, not ${String(baudRate)}.`);
    }
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
      if (this.stream.isOpen) {
        await new Promise<void>((resolve) => this.stream.close(() => resolve()));
      } else if (this.stream.closing) {
        await new Promise<void>((resolve) => this.stream.once('close', () => resolve()));
      }
      this.#finish(undefined);
    }
    await this.closed;
  }

  #finish(error: Error | undefined): void {
    if (this.#finished) return;
    this.#finished = true;
    const lost = error && !this.#closeRequested ? this.#disconnected(error) : undefined;
    this.#lostError = lost;
    if (this.stream.isOpen) this.stream.close(() => undefined);
    // Destroying releases readers and makes later writes fail instead of waiting for a reopen.
    if (!this.stream.destroyed) this.stream.destroy();
    this.#resolveClosed(lost ? { error: lost } : {});
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
    const match = ports.find((port) => port.path === path);
    return match ? { path, vendorId: match.vendorId, productId: match.productId } : undefined;
  })().catch(() => undefined);
  const info = await withinMs(lookup, USB_LOOKUP_TIMEOUT_MS);
  const vendorId = info?.vendorId?.replace(/^0x/i, '').toLowerCase();
  const productId = info?.productId?.replace(/^0x/i, '').toLowerCase();
  return vendorId && productId ? { vendorId, productId } : undefined;
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

type OpenFailure = 'busy' | 'permission' | 'not-serial' | 'missing' | 'no-device';

/** Listing candidate ports for an error message must not make a failing open slow. */
const PORT_HINT_TIMEOUT_MS = 1500;
const MAX_PORTS_IN_HINT = 8;

// Matched against the binding's message (strerror text on Unix, Windows API text), with the
// path removed so a port named e.g. /dev/busy cannot mislead.
const OPEN_FAILURE_PATTERNS: ReadonlyArray<[OpenFailure, RegExp]> = [
  ['busy', /cannot lock port|resource temporarily unavailable|resource busy|port is locked|\b(EBUSY|EAGAIN|EWOULDBLOCK)\b/i],
  ['permission', /permission denied|operation not permitted|\b(EACCES|EPERM)\b/i],
  ['not-serial', /inappropriate ioctl|not a typewriter|is a directory|not a directory|\b(ENOTTY|EISDIR|ENOTDIR)\b/i],
  ['missing', /no such file or directory|does not exist|file not found|cannot find the file|\bENOENT\b/i],
  ['no-device', /no such device|input\/output error|\b(ENXIO|ENODEV|EIO)\b/i],
];

/**
 * Turns a failed open into a PortError saying what to do. The binding's errors carry only a
 * message, so it is classified by its text and, when the text is unfamiliar (another language,
 * another binding), by looking at the path itself.
 */
export async function translateOpenError(path: string, error: unknown, binding?: BindingInterface): Promise<PortError> {
  if (error instanceof PortError) return error;
  const reason = reasonOf(error);
  const failure = classifyMessage(reason.split(path).join(' ')) ?? (await classifyPath(path));
  // "No such device or address, cannot open /dev/x" → "no such device or address"
  const shortReason = reason.replace(/,?\s*cannot open\b.*$/i, '').toLowerCase();
  const context = { phase: 'open', path, systemMessage: reason };
  const options = { cause: error };
  switch (failure) {
    case 'busy':
      return new PortError(
        'PORT_BUSY',
        `${path} is in use by another program (a terminal such as screen or minicom, a serial monitor, or ModemManager); close it and try again.`,
        context,
        options,
      );
    case 'permission':
      return new PortError('PORT_PERMISSION_DENIED', await permissionAdvice(path), context, options);
    case 'not-serial':
      return new PortError(
        'NOT_A_SERIAL_DEVICE',
        `${path} is not a serial port (${await describeFile(path)}); ${await portsHint(binding)}`,
        context,
        options,
      );
    case 'missing':
      return new PortError('PORT_NOT_FOUND', `${path} does not exist; ${await portsHint(binding)}`, context, options);
    case 'no-device':
      return new PortError(
        'PORT_NOT_FOUND',
        `${path} has no device behind it (${shortReason}); ${await portsHint(binding)}`,
        context,
        options,
      );
    default:
      return new PortError(
        'PORT_OPEN_FAILED',
        `${path} could not be opened (${reason}); check the port name and that no other program is using it.`,
        context,
        options,
      );
  }
}

function classifyMessage(message: string): OpenFailure | undefined {
  // Windows reports a port held by another program as "Access denied".
  if (process.platform === 'win32' && /access (is )?denied/i.test(message)) return 'busy';
  return OPEN_FAILURE_PATTERNS.find(([, pattern]) => pattern.test(message))?.[0];
}

async function classifyPath(path: string): Promise<OpenFailure | undefined> {
  if (process.platform === 'win32') return undefined;
  try {
    if (!(await fsp.stat(path)).isCharacterDevice()) return 'not-serial';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : undefined;
  }
  try {
    await fsp.access(path, fsConstants.R_OK | fsConstants.W_OK);
  } catch {
    return 'permission';
  }
  return undefined;
}

async function describeFile(path: string): Promise<string> {
  const stats = await fsp.stat(path).catch(() => undefined);
  if (stats?.isFile()) return 'it is a regular file';
  if (stats?.isDirectory()) return 'it is a directory';
  return 'it does not accept serial line settings';
}

async function permissionAdvice(path: string): Promise<string> {
  const stats = await fsp.stat(path).catch(() => undefined);
  const groupCanUse = stats !== undefined && (stats.mode & 0o060) === 0o060 && stats.gid !== 0;
  const group = groupCanUse ? await groupName(stats.gid) : undefined;
  if (group) {
    return `You may not open ${path} (permission denied); add yourself to its group with \`sudo usermod -aG ${group} $USER\`, then log out and back in.`;
  }
  return (
    `You may not open ${path} (permission denied); serial ports normally belong to group dialout ` +
    `(Debian, Ubuntu, Fedora) or uucp (Arch), so run \`sudo usermod -aG dialout $USER\` (or uucp), ` +
    `log out and back in, and check the port's permissions with \`ls -l ${path}\`.`
  );
}

async function groupName(gid: number): Promise<string | undefined> {
  try {
    const lines = (await fsp.readFile('/etc/group', 'utf8')).split('\n');
    return lines.map((line) => line.split(':')).find((fields) => fields[2] === String(gid))?.[0];
  } catch {
    return undefined;
  }
}

async function portsHint(binding: BindingInterface | undefined): Promise<string> {
  const ports = await withinMs(
    listPorts({ binding }).catch(() => undefined),
    PORT_HINT_TIMEOUT_MS,
  );
  // Each hint ends its sentence, so the messages built around it need no full stop.
  if (ports === undefined) return 'the serial ports could not be listed, so check the name.';
  if (ports.length === 0) return 'no serial ports were found — is the device plugged in?';
  const names = ports.slice(0, MAX_PORTS_IN_HINT).map((port) => port.path);
  const more = ports.length > MAX_PORTS_IN_HINT ? `, and ${ports.length - MAX_PORTS_IN_HINT} more` : '';
  return `ports found: ${names.join(', ')}${more}.`;
}
