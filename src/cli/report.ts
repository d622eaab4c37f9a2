/**
 * One run's reporting switches: `--json` (JSON lines on stdout, human text on stderr),
 * `--trace` (every byte on stderr) and `--log FILE` (the trace and the human lines in a file,
 * for bug reports). Created by main() before parsing, so even a usage error ends with a
 * JSON result line when --json was asked for.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { Writable } from 'node:stream';
import { InputError } from '../errors.js';
import type { Output } from './output.js';
import { JsonLines } from './render/json.js';
import { type TraceDirection, formatTraceLine } from './render/trace-line.js';

/** Options every command takes. */
export const REPORT_OPTIONS = {
  json: { type: 'boolean', global: true, describe: 'one JSON object per line on stdout (human text on stderr)' },
  trace: { type: 'boolean', global: true, describe: 'show every byte exchanged, timestamped, on stderr' },
  log: { type: 'string', global: true, describe: 'write the trace and every step to FILE (for bug reports)' },
} as const;

export interface ReportSettings {
  json?: boolean;
  trace?: boolean;
  log?: string;
}

type TextOut = Writable & { isTTY?: boolean };

export class RunReport {
  private jsonMode: boolean;
  private traceMode = false;
  private logFd: number | undefined;
  private jsonLines: JsonLines | undefined;
  private known: Record<string, unknown> = {};
  private readonly started: number;

  constructor(
    private readonly output: Output,
    private readonly argv: readonly string[],
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.started = clock();
    // Until the parser has run (it may fail first), a literal --json decides.
    this.jsonMode = argv.includes('--json');
  }

  /** Called once the arguments are parsed (command line, environment and config file). */
  configure(settings: ReportSettings): void {
    this.jsonMode = Boolean(settings.json);
    this.traceMode = Boolean(settings.trace);
    if (settings.log !== undefined && this.logFd === undefined) this.openLog(settings.log);
  }

  /** The JSON line writer on stdout, in --json mode. */
  get json(): JsonLines | undefined {
    if (!this.jsonMode) return undefined;
    this.jsonLines ??= new JsonLines(this.output.stdout, this.clock, this.started);
    return this.jsonLines;
  }

  /** --trace: trace lines on the terminal (or JSON trace events in --json mode). */
  get tracing(): boolean {
    return this.traceMode;
  }

  /** Whether the library should report traffic at all (for --trace or the log). */
  get wantsTraffic(): boolean {
    return this.traceMode || this.logFd !== undefined;
  }

  get logging(): boolean {
    return this.logFd !== undefined;
  }

  /** Where text for people goes: stdout, or stderr when stdout carries JSON. */
  get humanOut(): TextOut {
    return this.jsonMode ? this.output.stderr : this.output.stdout;
  }

  /** Where warnings go: stderr, beside the errors, whatever carries the rest. */
  get warningOut(): TextOut {
    return this.output.stderr;
  }

  get humanColor(): boolean {
    return this.jsonMode ? Boolean(this.output.errorColor) : this.output.color;
  }

  seconds(): number {
    return (this.clock() - this.started) / 1000;
  }

  /** Text for people: on the terminal and in the log. */
  human(text: string): void {
    this.humanOut.write(text.endsWith('\n') ? text : `${text}\n`);
    this.logText(text);
  }

  /** One trace line: on stderr with --trace (JSON mode has its own trace events), and in the log. */
  traceLine(direction: TraceDirection, description: string, label?: string): void {
    if (!description) return;
    const line = formatTraceLine(this.seconds(), direction, description, label);
    if (this.traceMode && !this.jsonMode) this.output.stderr.write(`${line}\n`);
    this.writeLog(`${line}\n`);
  }

  /** Text into the log only, each line stamped with the seconds since the start (and `prefix`). */
  logText(text: string, prefix = ''): void {
    if (this.logFd === undefined) return;
    const stamp = this.seconds().toFixed(3).padStart(8);
    const lines = text.replace(/\n$/, '').split('\n');
    this.writeLog(lines.map((line) => `${stamp}    ${prefix}${line}\n`).join(''));
  }

  /** A stream for a renderer that writes to the log (plain lines: it is not a terminal). */
  logStream(prefix = ''): TextOut | undefined {
    if (this.logFd === undefined) return undefined;
    return new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.logText(chunk.toString(), prefix);
        done();
      },
    });
  }

  /** What a command knows so far (the port it opens, …), reported with a failure. */
  note(fields: Record<string, unknown>): void {
    this.known = { ...this.known, ...fields };
  }

  /** After a failure: the JSON result line (unless one was written) and the error in the log. */
  fail(error: unknown, exitCode: number, message: string): void {
    this.json?.failure(error, exitCode, this.known);
    this.logText(`error (exit ${exitCode}): ${message}`);
  }

  close(): void {
    if (this.logFd === undefined) return;
    closeSync(this.logFd);
    this.logFd = undefined;
  }

  private openLog(path: string): void {
    if (path === '') throw new InputError('USAGE', '--log needs a file name, e.g. --log flash.log.');
    try {
      this.logFd = openSync(path, 'w');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new InputError('LOG_FILE', `Cannot write the log file ${path} (${reason}); choose another path for --log.`, { path });
    }
    this.writeLog(`# serial-flash ${version()}, Node ${process.version}, ${process.platform} ${process.arch}, ${new Date().toISOString()}\n`);
    this.writeLog(`# serial-flash ${this.argv.map(quoteArgument).join(' ')}\n`);
  }

  private writeLog(text: string): void {
    // Synchronous, so the log is complete even when a second Ctrl-C ends the process at once.
    if (this.logFd !== undefined) writeSync(this.logFd, text);
  }
}

function quoteArgument(argument: string): string {
  return /^[\w./:=@%+,-]+$/.test(argument) ? argument : `'${argument.replaceAll("'", "'\\''")}'`;
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown version';
  }
}
