/**
 * Typed errors. Every failure the library reports is one of these classes; the CLI maps
 * classes to exit codes in one place (cli/exit-codes.ts) and prints `message`, which is
 * always one sentence saying what happened and what to do.
 */

export interface ErrorContext {
  /** Transfer phase when it failed: 'open', 'enter', 'header', 'data', 'eot', 'end', … */
  phase?: string;
  /** Block sequence number (0 = header / end-of-batch block). */
  block?: number;
  /** Payload bytes acknowledged by the receiver before the failure. */
  bytesAcknowledged?: number;
  totalBytes?: number;
  attempts?: number;
  /** Text the device printed, when it explains the failure. */
  deviceText?: string;
  [key: string]: unknown;
}

export abstract class SerialFlashError extends Error {
  abstract readonly code: string;
  readonly context: ErrorContext;
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.context = context;
  }
}

/** Bad arguments or a bad image, found before the device is touched. */
export class InputError extends SerialFlashError {
  readonly code: string;
  constructor(code: string, message: string, context: ErrorContext = {}) {
    super(message, context);
    this.code = code;
  }
}

/** The port could not be opened (missing, permission, busy, not a serial device). */
export class PortError extends SerialFlashError {
  readonly code: string;
  constructor(code: string, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, context, options);
    this.code = code;
  }
}

/** The transfer failed: timeouts, retries exhausted, receiver aborted, device refused. */
export class TransferError extends SerialFlashError {
  readonly code: string;
  constructor(code: string, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, context, options);
    this.code = code;
  }
}

/** The connection went away (cable pulled, device reset) before the transfer finished. */
export class DisconnectedError extends SerialFlashError {
  readonly code = 'DISCONNECTED';
}

/** The user cancelled (AbortSignal, Ctrl-C); the receiver was told to abort when possible. */
export class CancelledError extends SerialFlashError {
  readonly code = 'CANCELLED';
}
