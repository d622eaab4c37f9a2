/**
 * `--json`: one JSON object per line on stdout, each with a `type`; the last line is always
 * one `{"type":"result","ok":…}`. `JsonLines` is the writer every command uses (list, info,
 * emulate, …): `report.json?.event('type', {...})` while running, `report.json?.result(ok,
 * {...})` at the end; a thrown error becomes the failure result in main(). Flash events are
 * mapped by flash-json.ts. The schema is in README.md.
 */
import type { Writable } from 'node:stream';
import { SerialFlashError } from '../../errors.js';

export type JsonFields = Record<string, unknown>;

/** Writes JSON lines; after the result line nothing more is written. */
export class JsonLines {
  private done = false;

  /** `clock` returns milliseconds; `t` on every line is seconds since the writer was made. */
  constructor(
    private readonly out: Writable,
    private readonly clock: () => number = () => performance.now(),
    private readonly started: number = clock(),
  ) {}

  get finished(): boolean {
    return this.done;
  }

  /** Seconds since the start. */
  seconds(): number {
    return (this.clock() - this.started) / 1000;
  }

  event(type: string, fields: JsonFields = {}): void {
    if (this.done) return;
    this.write({ type, t: round(this.seconds()), ...fields });
  }

  /** The last line. Written once; later calls are ignored. */
  result(ok: boolean, fields: JsonFields = {}): void {
    if (this.done) return;
    this.done = true;
    this.write({ type: 'result', ok, ...fields, seconds: round(this.seconds()) });
  }

  /** The last line for a failure: the message, its code and the exit code beside what is known. */
  failure(error: unknown, exitCode: number, fields: JsonFields = {}): void {
    this.result(false, { ...fields, ...errorFields(error), exitCode });
  }

  private write(object: JsonFields): void {
    this.out.write(`${JSON.stringify(object, jsonSafe)}\n`);
  }
}

/** The parts of an error a program can act on. */
export function errorFields(error: unknown): JsonFields {
  if (error instanceof SerialFlashError) {
    return { message: error.message, code: error.code, error: error.name, context: error.context };
  }
  return { message: error instanceof Error ? error.message : String(error), code: 'UNEXPECTED', error: 'Error' };
}

/** Buffers as hex, bigints as decimal strings: JSON.stringify takes neither as they are. */
function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return String(value);
  if (value && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
    return Buffer.from((value as { data: number[] }).data).toString('hex');
  }
  return value;
}

export function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
