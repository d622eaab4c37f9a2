/**
 * Everything `serial-flash emulate` shows, wherever it goes: activity lines on stderr and in
 * the --log file, the same as JSON lines with --json, every byte on the device's port with
 * --trace or --log, and the summary (stdout for people, the JSON result line for programs).
 * The trace is from the device's side: `rx` is what the host sent it, `tx` what it answered.
 */
import type { Writable } from 'node:stream';
import type { WireDirection } from '../../emulator/wire-tap.js';
import type { EmulationSummary } from '../../emulator/received-image.js';
import { EXIT } from '../exit-codes.js';
import type { RunReport } from '../report.js';
import type { ActivityOutput } from './emulation.js';
import { transferLine } from './emulation.js';
import type { JsonFields } from './json.js';
import { TraceFormatter } from './trace.js';

export class EmulationView implements ActivityOutput {
  /** The device is the YMODEM receiver, and it speaks in `tx`. */
  private readonly trace = new TraceFormatter({ receiver: 'tx' });

  constructor(
    private readonly report: RunReport,
    private readonly stderr: Writable,
  ) {}

  /** Activity for people: always on stderr (stdout holds the summary or the JSON lines), and in the log. */
  line(text: string): void {
    this.stderr.write(`${text}\n`);
    this.report.logText(text);
  }

  event(type: string, fields: JsonFields = {}): void {
    this.report.json?.event(type, fields);
  }

  /** Bytes crossing the device's port (from a wire tap). */
  traffic = (direction: WireDirection, data: Buffer): void => {
    const side = direction === 'to-device' ? 'rx' : 'tx';
    const description = this.trace.describe(side, data);
    this.report.traceLine(side, description);
    if (this.report.tracing) this.event('trace', { direction: side, hex: data.toString('hex'), ...(description ? { description } : {}) });
  };

  /** The summary line and the JSON result; returns the exit code (1 when the last transfer was not accepted). */
  finish(summary: EmulationSummary, extra: { faults: unknown; image?: string }): number {
    for (const side of ['rx', 'tx'] as const) this.report.traceLine(side, this.trace.flush(side));
    const ok = summary.status === 'none' || summary.status === 'accepted';
    const exitCode = ok ? EXIT.ok : EXIT.failed;
    this.report.human(transferLine(summary, extra.image));
    this.report.json?.result(ok, { ...summary, ...extra, ...(ok ? {} : { exitCode }) });
    return exitCode;
  }
}
