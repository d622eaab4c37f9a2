/**
 * Typed errors and their catalogue. Every failure the library reports is one of these
 * classes, with a `code` from the class's closed set below (a public contract: scripts read
 * it from `--json`). The CLI maps classes to exit codes in one place (cli/exit-codes.ts) and
 * prints `message`, always one sentence saying what happened and what to do. The README's
 * error-code table is checked against this catalogue by a test.
 */
import type { ImageRefusal, RefusalField } from './image/firmware-file.js';
import { reasonOf } from './util/reason.js';

/** Every code each class may carry, with what it means (one line, for the README table). */
export const ERROR_CATALOGUE = {
  InputError: {
    USAGE: 'The command line is not valid (unknown option, missing argument).',
    BAD_OPTION: 'An option value is out of range or not a number.',
    BAD_ADDRESS: 'The --address value is not a usable address.',
    BAD_BAUD_RATE: 'The baud rate is not a positive whole number.',
    ADDRESS_REQUIRED: 'An --address is needed: the --trigger command uses {address}, or --transfer-baud goes after it in loady.',
    TRIGGER_PLACEHOLDER_UNKNOWN: 'The --trigger command uses a {placeholder} other than {address}, {size}, {name}.',
    TRANSFER_BAUD_UNSUPPORTED: '--transfer-baud was given for a target whose receiver cannot change its rate.',
    CONFIG_FILE: 'The configuration file is not a JSON object of option names and values.',
    UNKNOWN_SETTING: 'A setting in the configuration file or a SERIAL_FLASH_* variable names no option, or gives a switch a value other than true or false.',
    LOG_FILE: 'The --log file cannot be written.',
    IMAGE_PATH: '`emulate --image` names a path that cannot be written.',
    FILE_NOT_FOUND: 'The firmware file does not exist.',
    FILE_IS_DIRECTORY: 'The firmware path is a directory.',
    FILE_NOT_REGULAR: 'The firmware path is a device, pipe or socket, not a file.',
    FILE_UNREADABLE: 'The firmware file cannot be read (permissions, I/O error).',
    FILE_EMPTY: 'The firmware file is empty.',
    FILE_TOO_LARGE: 'The firmware file is larger than serial-flash sends over a serial line (64 MiB).',
    UNKNOWN_TARGET: 'The --target names no known device profile.',
    PROTOCOL_UNSUPPORTED: "The target's receiver does not take the --protocol asked for.",
    DEVICE_IN_DFU: 'The port belongs to a device in DFU mode, which has no serial port.',
    NO_PORTS: 'Several devices were asked for, but no port was named.',
    UNSUPPORTED_PORT_URL: 'The port is a URL of a kind serial-flash does not speak.',
    BAD_TCP_URL: 'The tcp:// address is malformed.',
    PORT_REPEATED: 'The same port was named twice.',
    IMAGE_REFUSED_MODULE_INFO: 'The image has no module header where the device expects one.',
    IMAGE_REFUSED_PLATFORM: 'The image is built for another platform than the device.',
    IMAGE_REFUSED_ADDRESS: 'The image is linked for another address than the one requested.',
    IMAGE_REFUSED_SLOT: 'The module does not start at a slot the platform has for it.',
    IMAGE_REFUSED_SIZE: 'The image is larger than the region it goes to.',
    IMAGE_REFUSED_FILE_SIZE: "The file's length disagrees with its module header (truncated or extra bytes).",
    IMAGE_REFUSED_CRC: "The image fails its CRC-32 check (a corrupt file).",
    IMAGE_REFUSED_RANGE: 'The bytes would overwrite a protected region (bootloader, keys).',
    IMAGE_REFUSED_ALIGNMENT: 'The address is not aligned as the region requires.',
    IMAGE_REFUSED_VECTOR_TABLE: 'The image does not start with a vector table for the device.',
    IMAGE_REFUSED_STACK_POINTER: "The image's initial stack pointer is outside the device's RAM.",
    IMAGE_REFUSED_RESET_HANDLER: "The image's reset handler is outside the region it is written to.",
    IMAGE_REFUSED_EXCEPTION_HANDLER: "An exception handler points outside the image's region.",
    VERIFY_UNSUPPORTED: '--verify was asked of a device or port that cannot be asked what it runs.',
    IMAGE_REFUSED_DEPENDENCIES: 'The device says its system firmware does not meet what the module depends on.',
    IMAGE_REFUSED_LINK_ADDRESS: "The addresses inside the image show it was linked for another address than the device runs it from.",
    UNKNOWN_PROFILE: '`emulate --profile` names no virtual device.',
    PTY_UNSUPPORTED: '`emulate --pty` on a system without pseudo-terminals (Windows).',
    SOCAT_MISSING: '`emulate --pty` needs socat, which is not installed.',
    PTY_PATH_EXISTS: 'The --pty path already exists.',
    PTY_PATH_UNUSABLE: 'The --pty path cannot be created.',
  },
  PortError: {
    PORT_NOT_FOUND: 'The port does not exist.',
    PORT_PERMISSION_DENIED: 'The port exists but this user may not open it.',
    PORT_BUSY: 'Another program holds the port.',
    NOT_A_SERIAL_DEVICE: 'The path is not a serial port.',
    PORT_OPEN_FAILED: 'The port could not be opened for another reason.',
    PORT_WAIT_TIMEOUT: 'The port did not appear within --wait.',
    BAUD_RATE_REJECTED: 'The port refused the baud rate.',
    SIGNALS_REJECTED: 'The port refused to set DTR/RTS.',
    NATIVE_BINDING_UNAVAILABLE: 'The native serial-port module could not be loaded.',
    CANNOT_LIST_PORTS: 'The serial ports could not be listed.',
    NO_DEVICE: 'No port was named and no recognised device is connected.',
    SEVERAL_DEVICES: 'No port was named and several recognised devices are connected.',
    TCP_REFUSED: 'The TCP bridge refused the connection.',
    TCP_UNREACHABLE: 'The TCP bridge cannot be reached (unknown host, no route).',
    TCP_TIMEOUT: 'The TCP bridge did not answer in time.',
    NOT_RFC2217: 'The rfc2217:// server did not agree to the telnet COM-PORT-OPTION.',
    TCP_IS_TELNET: 'The tcp:// bridge speaks Telnet (an RFC 2217 port): it must be named rfc2217://.',
    BAUD_RATE_NOT_CONFIRMED: 'The RFC 2217 server did not confirm the baud rate.',
    LISTEN_BAD_HOST: '`emulate --listen` names a host that is not on this machine.',
    LISTEN_DENIED: '`emulate --listen` may not use that port.',
    LISTEN_IN_USE: '`emulate --listen` port is taken.',
    LISTEN_FAILED: '`emulate --listen` failed for another reason.',
    PTY_FAILED: '`emulate --pty`: the pseudo-terminal could not be created.',
  },
  TransferError: {
    NO_ANSWER: 'The device did not answer the way into its receiver.',
    NO_PROMPT: 'The console showed no prompt.',
    NO_RECEIVER: 'No receiver asked for the file (no C or NAK) within the start timeout.',
    TOO_MANY_RETRIES: 'A block was not accepted after every retry.',
    EOT_NOT_ACKNOWLEDGED: 'The receiver did not acknowledge the end of the file.',
    EOT_UNCONFIRMED: 'The receiver asked for a new file before it confirmed the end of this one (it may have restarted).',
    LINE_NOISY: 'The line carried so much noise that any answer on it may be chance.',
    RECEIVER_CANCELLED: 'The receiver cancelled the transfer (CAN CAN).',
    RECEIVER_ENDED: 'The receiver ended the session before the file was complete.',
    FILE_SHRANK: 'The firmware file became shorter while it was being sent.',
    FILE_CHANGED: 'The firmware file was written again while it was being read or sent (a build still running).',
    SEND_FAILED: 'Writing to the port failed in the middle of the transfer.',
    LINE_ECHOES: 'Only our own bytes came back: the line echoes what is sent (a terminal with echo on, or a half-duplex adapter) and no receiver answered.',
    WRITE_STALLED: 'The port stopped taking data: a write did not complete in time (the device is not reading).',
    SIZE_MISMATCH: 'The console reports another size than was sent.',
    VERIFY_MISMATCH: "The device's CRC-32 of what it received differs from the file's.",
    NOT_VERIFIED: 'The load could not be checked (no crc32 command, no answer); --no-verify skips the check.',
    TRANSFER_BAUD_REFUSED: 'The receiver did not offer to switch to the --transfer-baud rate.',
    TRANSFER_BAUD_NO_ANSWER: 'The receiver switched to the --transfer-baud rate but did not answer at it.',
    DEVICE_RESTARTED: 'The board restarted during the transfer.',
    SERIAL_UPDATES_REMOVED: "The device's firmware is too new: it no longer takes images over serial.",
    YMODEM_NOT_IN_APPLICATION: "The device's application does not include the serial flasher.",
    UPDATES_DISABLED: 'The device refused the file because its application disabled updates.',
    VALIDATION_FAILED: 'The device received the image and rejected it (platform, range, CRC, dependencies).',
    FLASH_WRITE_FAILED: 'The device could not write its flash.',
    ABORTED_ON_DEVICE: 'The transfer was aborted on the device.',
    DEVICE_GAVE_UP: 'The device gave up after too many errors.',
    VERIFY_FAILED: '--verify: the restarted device does not have the image installed and valid.',
    DEVICE_NOT_BACK: '--verify: the device did not come back after its restart to be asked.',
    UNEXPECTED: 'A failure serial-flash has no specific code for (a bug worth reporting).',
  },
  DisconnectedError: {
    DISCONNECTED: 'The port went away (cable pulled, device reset) before the transfer finished.',
  },
  CancelledError: {
    CANCELLED: 'The user cancelled (Ctrl-C, AbortSignal); the receiver was told to discard the transfer.',
  },
} as const satisfies Record<string, Record<string, string>>;

export type ErrorClassName = keyof typeof ERROR_CATALOGUE;
export type InputCode = keyof typeof ERROR_CATALOGUE.InputError;
export type PortCode = keyof typeof ERROR_CATALOGUE.PortError;
export type TransferCode = keyof typeof ERROR_CATALOGUE.TransferError;
export type ErrorCode = { [C in ErrorClassName]: keyof (typeof ERROR_CATALOGUE)[C] }[ErrorClassName];

type SnakeCase<S extends string> = S extends `${infer A}-${infer B}` ? `${A}_${SnakeCase<B>}` : S;
/** The code of an image refused for `field`, e.g. IMAGE_REFUSED_FILE_SIZE. */
export type RefusalCode = `IMAGE_REFUSED_${Uppercase<SnakeCase<RefusalField>>}`;

export function refusalCode(field: RefusalField): RefusalCode {
  return `IMAGE_REFUSED_${field.toUpperCase().replaceAll('-', '_')}` as RefusalCode;
}

/** One error for an image the checks refuse: the first refusal's code and sentence, the others named. */
export function imageRefusedError(refusals: readonly ImageRefusal[]): InputError {
  const [first, ...more] = refusals;
  // Each refusal is a sentence of its own: a count and field names said nothing.
  const also = more.map((refusal) => ` Also: ${refusal.message}`).join('');
  return new InputError(refusalCode(first!.field), `${first!.message}${also}`, { refusals: [...refusals] });
}

// Fails to compile when an image check gains a field the catalogue does not list.
const everyRefusalCatalogued: RefusalCode extends InputCode ? true : never = true;
void everyRefusalCatalogued;

/** What is known about a failure; every field is public (it is part of `--json`). */
export interface ErrorContext {
  /** Transfer phase when it failed: 'open', 'enter', 'header', 'data', 'eot', 'end', … */
  phase?: string;
  /** Block sequence number (0 = header / end-of-batch block). */
  block?: number;
  /** Payload bytes acknowledged by the receiver before the failure. */
  bytesAcknowledged?: number;
  /** Payload bytes written to the receiver: it may have stored a block it did not acknowledge. */
  bytesSent?: number;
  totalBytes?: number;
  /** Retransmissions so far in the transfer. */
  retries?: number;
  attempts?: number;
  /** Text the device printed, when it explains the failure. */
  deviceText?: string;
  /** The file, port or socket path concerned. */
  path?: string;
  /** The operating system's own words, or its error code, behind the failure. */
  systemMessage?: string;
  systemCode?: string;
  /** A value as the user typed it, when it was refused (an address, a profile name). */
  address?: string;
  profile?: string;
  /** Every refusal of the image checks (the code names the first). */
  refusals?: ImageRefusal[];
  /** The refusals --force overrode before the failure. */
  forced?: ImageRefusal[];
}

/** How a failed transfer left the receiver: decides whether it still needs telling to abort. */
export interface ReceiverState {
  /** The receiver answered at least once (a header nobody answered means nobody listens). */
  answered?: boolean;
  /** The receiver ended the session itself (it cancelled, or went quiet for good). */
  ended?: boolean;
  /** We sent the CANs that tell the receiver to discard what it has. */
  toldToAbort?: boolean;
}

export interface ErrorOptions {
  cause?: unknown;
  receiver?: ReceiverState;
}

export abstract class SerialFlashError extends Error {
  abstract readonly code: ErrorCode;
  readonly context: ErrorContext;
  /** Control state for the layers above the sender; not part of `--json`. */
  readonly receiver: ReceiverState;
  /** An error that rewrites another (its `cause`) keeps what that one knew of the receiver. */
  constructor(message: string, context: ErrorContext = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.context = context;
    const { cause } = options ?? {};
    this.receiver = { ...(cause instanceof SerialFlashError ? cause.receiver : {}), ...options?.receiver };
  }
}

/** An error whose code the thrower chooses from its class's set. */
abstract class CodedError<Code extends ErrorCode> extends SerialFlashError {
  constructor(
    readonly code: Code,
    message: string,
    context: ErrorContext = {},
    options?: ErrorOptions,
  ) {
    super(message, context, options);
  }
}

/** Bad arguments or a bad image, found before the device is touched. */
export class InputError extends CodedError<InputCode> {}

/** The port could not be opened (missing, permission, busy, not a serial device). */
export class PortError extends CodedError<PortCode> {}

/** The transfer failed: timeouts, retries exhausted, receiver aborted, device refused. */
export class TransferError extends CodedError<TransferCode> {}

/** The connection went away (cable pulled, device reset) before the transfer finished. */
export class DisconnectedError extends SerialFlashError {
  readonly code = 'DISCONNECTED';
}

/** The user cancelled (AbortSignal, Ctrl-C); the receiver was told to abort when possible. */
export class CancelledError extends SerialFlashError {
  readonly code = 'CANCELLED';
}

/** Any thrown value as a typed error: typed errors pass through, anything else is UNEXPECTED. */
export function asSerialFlashError(error: unknown, what = 'The transfer'): SerialFlashError {
  if (error instanceof SerialFlashError) return error;
  return new TransferError('UNEXPECTED', `${what} failed unexpectedly: ${reasonOf(error)}.`, {}, { cause: error });
}
